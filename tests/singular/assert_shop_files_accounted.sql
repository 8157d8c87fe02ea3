{{ config(enabled=target.type == 'duckdb') }}
-- Every line of every shop extract file is accounted for: the header plus the lines its
-- records span is every physical line of the file (a file that could not be read at all is
-- one record at line 0 spanning none). Returns the files where that does not hold.
with files as (

    select * from {{ ref('inventory_shop__files') }}

),

final as (

    select
        file_path,
        physical_lines,
        record_lines,
        records_landed,
        records_rejected
    from files
    where
        status = 'extract'
        and physical_lines is not null
        and physical_lines > 0
        and physical_lines <> record_lines + 1

)

select * from final
