-- Grain: one row per week (its first day) with orders: revenue, orders, units,
-- customers, and the growth of revenue and orders against the previous week.
{{ sales_per_period('week') }}
