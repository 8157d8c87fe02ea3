-- Grain: one row per month (its first day) with orders: revenue, orders, units,
-- customers, the average order value, and the growth of revenue and orders against the
-- previous month.
{{ sales_per_period('month', average_order_value=true) }}
