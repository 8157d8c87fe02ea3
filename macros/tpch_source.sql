{#
    Whether this target reads TPC-H from the tenant's PostgreSQL (attached read-only as
    `tpch_pg` by the tenant's profile) rather than from landed Parquet files.
#}
{% macro tpch_from_postgres() -%}
    {{- return(target.type == 'duckdb'
        and 'tpch_pg' in (target.attach or []) | map(attribute='alias') | list) -}}
{%- endmacro %}

{#
    Where a TPC-H row came from: the landed file (DuckDB adds `filename` to the source);
    on Trino, the table of the tenant's catalog.
#}
{% macro tpch_source_file(table) -%}
    {{- return(adapter.dispatch('tpch_source_file', 'duckhouse')(table)) -}}
{%- endmacro %}

{% macro default__tpch_source_file(table) -%}
    {{- unsupported_adapter('tpch_source_file') -}}
{%- endmacro %}

{% macro duckdb__tpch_source_file(table) -%}
    cast(filename as varchar)
{%- endmacro %}

{% macro trino__tpch_source_file(table) -%}
    cast('{{ source("tpch", table) }}' as varchar)
{%- endmacro %}

{#
    What changed at the source among the order keys at or below the extract's watermark,
    found without reading every key: the keys are cut into buckets of `bucket` consecutive
    keys, and PostgreSQL (postgres_query) and DuckDB each sum a bucket's count and a
    60-bit hash of its keys (the first 15 hex digits of the key's md5, the same on both);
    only the buckets that differ are compared key by key. Returns {'reread': the keys the
    source holds and the extract does not (orders inserted out of key order, or deleted and
    inserted again: read by key in the next extract), 'deleted': the keys the extract holds
    and the source does not (RF2)} -- or None when more than `limit` buckets or keys
    differ (the extract then reads the orders in full and finds deletions by comparing
    every key, in its own statement). RF2 deletes the oldest orders, so a refresh batch
    touches a few buckets at the low end. Read before the extract's statement, in another
    snapshot: an order deleted in between stays landed until the next run, which finds it.
    Only meaningful in an incremental run from PostgreSQL.
#}
{% macro tpch_changed_order_keys(extract, watermark, bucket=1024, limit=none) -%}
    {#- $DUCKHOUSE_TPCH_CHANGED_KEYS_LIMIT: 0 always compares every key (the fallback) -#}
    {%- set limit = env_var('DUCKHOUSE_TPCH_CHANGED_KEYS_LIMIT', '20000') | int
        if limit is none else limit -%}
    {%- set relation = source('tpch', 'orders') -%}
    {%- set pg_hash = "(''x'' || substr(md5(o_orderkey::text), 1, 15))::bit(60)::bigint" -%}
    {%- set duck_hash = "cast('0x' || substr(md5(cast(order_id as varchar)), 1, 15) as bigint)" -%}
    {%- set landed_keys -%}
        select order_id from {{ extract }}
        where record_type = 'order' and order_id <= {{ watermark }}
    {%- endset -%}
    {%- set buckets_query -%}
        with source_buckets as (
            select * from postgres_query(
                'tpch_pg',
                'select o_orderkey / {{ bucket }} as bucket, count(*) as keys,
                        sum({{ pg_hash }}::numeric)::text as key_hash
                 from public."{{ relation.identifier }}"
                 where o_orderkey <= {{ watermark }}
                 group by 1'
            )
        ),

        landed_buckets as (
            select
                order_id // {{ bucket }} as bucket,
                count(*) as keys,
                cast(sum({{ duck_hash }}) as varchar) as key_hash
            from ({{ landed_keys }}) as landed
            group by order_id // {{ bucket }}
        )

        select coalesce(source_buckets.bucket, landed_buckets.bucket) as bucket
        from source_buckets
        full outer join landed_buckets
            on source_buckets.bucket = landed_buckets.bucket
        where
            source_buckets.keys is distinct from landed_buckets.keys
            or source_buckets.key_hash is distinct from landed_buckets.key_hash
        order by 1
        limit {{ limit + 1 }}
    {%- endset -%}
    {%- set buckets = run_query(buckets_query).columns[0].values() | list -%}
    {%- set said = extract.identifier ~ ': keys up to ' ~ watermark ~ ': ' -%}
    {%- if buckets | length > limit or limit == 0 -%}
        {%- do log(said ~ 'more than ' ~ limit ~ ' bucket(s) of ' ~ bucket
            ~ ' keys differ from the source: every key compared', info=True) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- if not buckets -%}
        {%- do log(said ~ '0 bucket(s) of ' ~ bucket ~ ' keys differ from the source',
            info=True) -%}
        {{- return({'reread': [], 'deleted': []}) -}}
    {%- endif -%}
    {%- set listed = buckets | join(', ') -%}
    {%- set keys_query -%}
        with source_keys as (
            select o_orderkey as order_id from postgres_query(
                'tpch_pg',
                'select o_orderkey from public."{{ relation.identifier }}"
                 where o_orderkey <= {{ watermark }}
                   and o_orderkey / {{ bucket }} = any(array[{{ listed }}]::bigint[])'
            )
        ),

        landed as (
            select order_id from ({{ landed_keys }}) as landed_keys
            where order_id // {{ bucket }} in ({{ listed }})
        )

        select 'reread' as change, order_id from source_keys
        where order_id not in (select landed.order_id from landed)
        union all
        select 'deleted' as change, order_id from landed
        where order_id not in (select source_keys.order_id from source_keys)
        order by 1, 2
        limit {{ limit + 1 }}
    {%- endset -%}
    {%- set rows = run_query(keys_query).rows -%}
    {%- if rows | length > limit -%}
        {%- do log(said ~ 'more than ' ~ limit ~ ' keys differ from the source: every key '
            ~ 'compared', info=True) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set changes = {'reread': [], 'deleted': []} -%}
    {%- for row in rows -%}
        {%- do changes[row[0]].append(row[1]) -%}
    {%- endfor -%}
    {%- do log(said ~ (buckets | length) ~ ' bucket(s) of ' ~ bucket ~ ' keys differ from '
        ~ 'the source: ' ~ (changes['reread'] | length) ~ ' key(s) to read again, '
        ~ (changes['deleted'] | length) ~ ' deleted', info=True) -%}
    {{- return(changes) -}}
{%- endmacro %}

{#
    A fingerprint of a TPC-H table at the source: its row count and the sum of a hash of
    every row's text, computed by PostgreSQL itself (postgres_query), so an unchanged table
    is known without reading it into DuckDB. Read before the rows are: a change committed
    in between lands with the older fingerprint, and the next run lands it again. None at
    parse time and when the tenant reads landed files.
#}
{% macro tpch_source_fingerprint(table) -%}
    {%- if not execute or not tpch_from_postgres() -%}
        {{- return(none) -}}
    {%- endif -%}
    {#- the tenant's database holds the tables under their TPC-H names, in public (the
        source's external_location) -#}
    {%- set relation = source('tpch', table) -%}
    {%- set query -%}
        select fingerprint from postgres_query(
            'tpch_pg',
            'select count(*)::text || '':'' || coalesce(sum(hashtext(t::text)::bigint), 0)::text
                as fingerprint
             from public."{{ relation.identifier }}" as t'
        )
    {%- endset -%}
    {{- return(run_query(query).columns[0].values()[0]) -}}
{%- endmacro %}

{#
    True when an incremental run finds the source table as it was landed (the fingerprint
    stored with the landed rows): the model then lands nothing, and the rows, their load
    time and everything downstream that checks it stay as they are.
#}
{% macro tpch_table_unchanged(fingerprint) -%}
    {%- if fingerprint is none or not is_incremental() -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set landed = run_query(
        "select max(_source_fingerprint) from " ~ this
    ).columns[0].values()[0] -%}
    {{- return(landed == fingerprint) -}}
{%- endmacro %}

{#
    The hooks of an incremental extract from PostgreSQL: its reads go through one
    connection per table, so PostgreSQL plans each filter itself and uses the keys'
    indexes (`start`), instead of DuckDB's parallel scans by ranges of pages, which read
    every page of the table whatever the filter (8 GB of lineitem at sf 10 for a few
    thousand new lines); `finish` puts the parallel scans back for the next model on the
    connection. The setting is the connection's own: models on other threads keep theirs.
#}
{% macro tpch_key_reads(phase) -%}
    {%- if execute and tpch_from_postgres() and is_incremental() -%}
        {%- if phase == 'start' -%}
            set pg_use_ctid_scan = false
        {%- else -%}
            reset pg_use_ctid_scan
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
