-- Row conservation of the shop's extracts, per file: every line the landing read (and
-- the landing itself fails the build when that is not every line of the file) is in the
-- bronze model or in the quarantine, once. Returns the files where that does not hold.

with read_lines as (

    select
        'customers' as entity,
        _source_file,
        count(*) as lines_read
    from {{ ref('landed_shop__customers') }}
    group by _source_file

    union all

    select
        'products' as entity,
        _source_file,
        count(*) as lines_read
    from {{ ref('landed_shop__products') }}
    group by _source_file

    union all

    select
        'orders' as entity,
        _source_file,
        count(*) as lines_read
    from {{ ref('landed_shop__orders') }}
    group by _source_file

),

landed as (

    select
        'customers' as entity,
        _source_file,
        count(*) as lines_landed
    from {{ ref('stg_shop__customers') }}
    group by _source_file

    union all

    select
        'products' as entity,
        _source_file,
        count(*) as lines_landed
    from {{ ref('stg_shop__products') }}
    group by _source_file

    union all

    select
        'orders' as entity,
        _source_file,
        count(*) as lines_landed
    from {{ ref('stg_shop__orders') }}
    group by _source_file

),

quarantined as (

    select
        entity,
        _source_file,
        count(*) as lines_quarantined
    from {{ ref('quarantine_shop__lines') }}
    group by entity, _source_file

),

final as (

    select
        read_lines.entity,
        read_lines._source_file,
        read_lines.lines_read,
        coalesce(landed.lines_landed, 0) as lines_landed,
        coalesce(quarantined.lines_quarantined, 0) as lines_quarantined
    from read_lines
    left join landed
        on
            read_lines.entity = landed.entity
            and read_lines._source_file = landed._source_file
    left join quarantined
        on
            read_lines.entity = quarantined.entity
            and read_lines._source_file = quarantined._source_file

)

select * from final
where lines_read != lines_landed + lines_quarantined
