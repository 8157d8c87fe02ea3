-- On Trino: every line of the shop's orders extracts as the landing step wrote it to the
-- tenant's catalog (landing_shop.orders_landed: the columns of the DuckDB Python model of the
-- same name, typed or rejected with the reason). Enabled on Trino targets only.
select * from {{ source('shop_landed', 'orders') }}
