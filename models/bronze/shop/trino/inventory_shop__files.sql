-- On Trino: the file inventory of the shop's landing zone as the landing step wrote it to the
-- tenant's catalog (landing_shop.shop_files: the columns of the DuckDB Python model of the
-- same name). Enabled on Trino targets only.
select * from {{ source('shop_landed', 'files') }}
