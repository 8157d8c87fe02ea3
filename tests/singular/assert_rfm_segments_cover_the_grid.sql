-- Every (recency, frequency-monetary) score pair from 1 to 5 falls in exactly one RFM
-- segment: no customer is left without a segment, none is counted in two.
with scores as (

    select scores.score from (values (1), (2), (3), (4), (5)) as scores (score)

),

grid as (

    select
        recency.score as recency_score,
        frequency_monetary.score as frequency_monetary_score
    from scores as recency
    cross join scores as frequency_monetary

),

segments as (

    select * from {{ ref('rfm_segments') }}

),

matches as (

    select
        grid.recency_score,
        grid.frequency_monetary_score,
        count(segments.rfm_segment) as segment_count
    from grid
    left join segments
        on
            grid.recency_score
            between segments.recency_score_min and segments.recency_score_max
            and grid.frequency_monetary_score
            between segments.frequency_monetary_score_min
            and segments.frequency_monetary_score_max
    group by grid.recency_score, grid.frequency_monetary_score

)

select * from matches
where segment_count != 1
