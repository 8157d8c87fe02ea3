-- Grain: one row per ksqlDB table, key and metric: the value rebuilt from the streams
-- (silver, exactly once) next to the value in the table's latest snapshot. A difference
-- means events were lost, counted twice, or converted differently.
with by_user_currency as (

    select * from {{ ref('mart_payments__user_currency_totals') }}

),

streams as (

    {{ metric_rows('by_user_currency', 'user_transaction_summary',
        "unpivoted.user_id || '/' || unpivoted.currency",
        ['transaction_count', 'total_amount'], 'stream_value') }}

    union all

    {{ metric_rows(ref('mart_payments__user_transaction_summary'),
        'user_transaction_summary_eur', 'cast(unpivoted.user_id as varchar)',
        ['transaction_count', 'total_amount_eur'], 'stream_value') }}

    union all

    {{ metric_rows(ref('mart_payments__payment_method_totals'), 'payment_method_totals',
        'unpivoted.payment_method', ['transaction_count', 'total_amount_eur'],
        'stream_value') }}

    union all

    select
        'product_purchase_counts' as table_name,
        cast(product_id as varchar) as table_key,
        'purchase_count' as metric,
        purchase_count as stream_value
    from {{ ref('mart_payments__product_purchase_counts') }}

),

ksqldb as (

    {{ metric_rows(ref('stg_ksqldb__user_transaction_summary'), 'user_transaction_summary',
        "unpivoted.user_id || '/' || unpivoted.currency",
        ['transaction_count', 'total_amount'], 'ksqldb_value') }}

    union all

    {{ metric_rows(ref('stg_ksqldb__user_transaction_summary_eur'),
        'user_transaction_summary_eur', 'cast(unpivoted.user_id as varchar)',
        ['transaction_count', 'total_amount_eur'], 'ksqldb_value') }}

    union all

    {{ metric_rows(ref('stg_ksqldb__payment_method_totals'), 'payment_method_totals',
        'unpivoted.payment_method', ['transaction_count', 'total_amount_eur'],
        'ksqldb_value') }}

    union all

    select
        'product_purchase_counts' as table_name,
        cast(product_id as varchar) as table_key,
        'purchase_count' as metric,
        purchase_count as ksqldb_value
    from {{ ref('stg_ksqldb__product_purchase_counts') }}

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        coalesce(streams.table_name, ksqldb.table_name) as table_name,
        coalesce(streams.table_key, ksqldb.table_key) as table_key,
        coalesce(streams.metric, ksqldb.metric) as metric,
        cast(streams.stream_value as decimal(18, 2)) as stream_value,
        cast(ksqldb.ksqldb_value as decimal(18, 2)) as ksqldb_value,
        cast(
            coalesce(streams.stream_value, 0) - coalesce(ksqldb.ksqldb_value, 0)
            as decimal(18, 2)
        ) as difference
    from streams
    -- (table, key, metric) is unique on each side: a full join pairs them one to one
    full outer join ksqldb
        on
            streams.table_name = ksqldb.table_name
            and streams.table_key = ksqldb.table_key
            and streams.metric = ksqldb.metric

)

select * from final
