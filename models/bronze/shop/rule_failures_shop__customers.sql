-- Grain: one row per line of the shop's customers extracts that fits the contract but breaks a
-- rule of macros/shop.sql: the first rule it breaks, the column and the reason. The rules
-- are evaluated here, once per line; only the lines that break one are written
-- (stg_shop__customers is the landed lines that are not here, quarantine_shop__lines shows these).
-- Incremental: the lines loaded since its last run (macros/shop_incremental.sql).
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['_source_file', '_line'],
        on_schema_change='append_new_columns',
        pre_hook="{{ shop_start_run(['customers']) }}",
        post_hook="{{ shop_finish_run(['customers']) }}",
    )
}}
{{ shop_rule_failures('customers') }}
