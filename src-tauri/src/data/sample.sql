-- The synthetic NYC yellow-taxi sample: {rows} trips from January 2024, seeded by {seed}.
-- Every random draw is hash(hash(row, draw) xor seed) scaled to [0, 1) (a plain hash(row, seed, draw)
-- correlates draws and neighbouring seeds), so the same seed gives the same rows
-- whatever the thread count or insertion order. Shapes follow TLC's published trip data: more trips
-- in the evening than at dawn, Manhattan-heavy pickups with outer boroughs at night, airport trips
-- long and flat-rate (JFK), fares growing with distance and time, tips recorded for cards only.
CREATE OR REPLACE TABLE taxi AS
WITH zones AS (
    SELECT
        list(LocationID ORDER BY LocationID) FILTER (WHERE service_zone = 'Yellow Zone') AS core,
        list(LocationID ORDER BY LocationID) FILTER (WHERE Borough = 'Manhattan' AND service_zone = 'Boro Zone') AS uptown,
        list(LocationID ORDER BY LocationID) FILTER (WHERE Borough IN ('Brooklyn', 'Queens') AND service_zone = 'Boro Zone') AS bq,
        list(LocationID ORDER BY LocationID) FILTER (WHERE Borough IN ('Bronx', 'Staten Island')) AS outer_boro
    FROM taxi_zones
),
draws AS (
    SELECT
        i,
        list_transform(range(16), lambda d: (hash(xor(hash(i * 16 + d), {seed}::UBIGINT)) >> 11) / 9007199254740992.0) AS u
    FROM range({rows}) AS r(i)
),
timed AS (
    SELECT
        i, u,
        -- hour of day by the inverse of a cumulative share of trips per hour (TLC-like shape)
        len(list_filter(
            [0.028, 0.047, 0.060, 0.069, 0.076, 0.084, 0.102, 0.134, 0.174, 0.217, 0.262, 0.310,
             0.361, 0.414, 0.472, 0.533, 0.595, 0.663, 0.734, 0.798, 0.854, 0.909, 0.961, 1.0],
            lambda c: c <= u[1])) AS hour
    FROM draws
),
placed AS (
    SELECT
        i, u, hour,
        CASE
            WHEN u[2] < 0.065 THEN 'airport'
            WHEN u[2] < (CASE WHEN hour < 6 THEN 0.66 ELSE 0.80 END) THEN 'core'
            WHEN u[2] < (CASE WHEN hour < 6 THEN 0.72 ELSE 0.86 END) THEN 'uptown'
            WHEN u[2] < 0.975 THEN 'bq'
            ELSE 'outer'
        END AS pu_kind
    FROM timed
),
routed AS (
    SELECT
        p.*,
        CASE
            WHEN pu_kind = 'airport' THEN CASE WHEN u[4] < 0.72 THEN 'core' WHEN u[4] < 0.95 THEN 'bq' ELSE 'uptown' END
            WHEN pu_kind = 'core' THEN CASE WHEN u[4] < 0.84 THEN 'core' WHEN u[4] < 0.91 THEN 'airport' WHEN u[4] < 0.96 THEN 'bq' ELSE 'uptown' END
            ELSE CASE WHEN u[4] < 0.55 THEN pu_kind WHEN u[4] < 0.85 THEN 'core' WHEN u[4] < 0.93 THEN 'airport' ELSE 'bq' END
        END AS do_kind
    FROM placed p
),
located AS (
    SELECT
        r.*,
        CASE pu_kind
            WHEN 'airport' THEN CASE WHEN u[3] < 0.56 THEN 132 WHEN u[3] < 0.98 THEN 138 ELSE 1 END
            WHEN 'core' THEN z.core[1 + floor(u[3] * len(z.core))::INTEGER]
            WHEN 'uptown' THEN z.uptown[1 + floor(u[3] * len(z.uptown))::INTEGER]
            WHEN 'bq' THEN z.bq[1 + floor(u[3] * len(z.bq))::INTEGER]
            ELSE z.outer_boro[1 + floor(u[3] * len(z.outer_boro))::INTEGER]
        END AS pu,
        CASE do_kind
            WHEN 'airport' THEN CASE WHEN u[5] < 0.50 THEN 132 WHEN u[5] < 0.93 THEN 138 ELSE 1 END
            WHEN 'core' THEN z.core[1 + floor(u[5] * len(z.core))::INTEGER]
            WHEN 'uptown' THEN z.uptown[1 + floor(u[5] * len(z.uptown))::INTEGER]
            WHEN 'bq' THEN z.bq[1 + floor(u[5] * len(z.bq))::INTEGER]
            ELSE z.outer_boro[1 + floor(u[5] * len(z.outer_boro))::INTEGER]
        END AS dropoff,
        -- two standard normals (Box-Muller) for distance and duration noise
        sqrt(-2 * ln(1 - u[6])) * cos(2 * pi() * u[7]) AS z1,
        sqrt(-2 * ln(1 - u[6])) * sin(2 * pi() * u[7]) AS z2
    FROM routed r, zones z
),
trips AS (
    SELECT
        l.*,
        round(CASE
            WHEN pu = 132 OR dropoff = 132 THEN 17.5 * exp(0.18 * z1)
            WHEN pu = 1 OR dropoff = 1 THEN 18.0 * exp(0.15 * z1)
            WHEN pu = 138 OR dropoff = 138 THEN 10.2 * exp(0.20 * z1)
            WHEN pu_kind = 'core' AND do_kind = 'core' THEN 1.6 * exp(0.60 * z1)
            ELSE 3.6 * exp(0.65 * z1)
        END, 2) AS distance,
        CASE
            WHEN hour BETWEEN 7 AND 9 OR hour BETWEEN 15 AND 18 THEN 8.5
            WHEN hour < 6 THEN 16.0
            ELSE 11.0
        END * CASE WHEN pu_kind = 'airport' OR do_kind = 'airport' THEN 1.6 ELSE 1.0 END AS mph
    FROM located l
),
priced AS (
    SELECT
        t.*,
        TIMESTAMP '2024-01-01' + to_seconds(floor(u[8] * 31) * 86400 + hour * 3600 + floor(u[9] * 3600)) AS pickup_at,
        least(180.0, greatest(1.0, distance / mph * 60 * exp(0.25 * z2) + 1.5)) AS minutes,
        CASE
            WHEN pu = 132 OR dropoff = 132 THEN 2
            WHEN pu = 1 OR dropoff = 1 THEN 3
            WHEN u[10] < 0.008 THEN 5
            ELSE 1
        END AS ratecode,
        CASE WHEN u[11] < 0.71 THEN 1 WHEN u[11] < 0.955 THEN 2 WHEN u[11] < 0.985 THEN 4 ELSE 3 END AS payment,
        CASE WHEN hour BETWEEN 16 AND 19 THEN 2.5 WHEN hour >= 20 OR hour < 6 THEN 1.0 ELSE 0.0 END::DOUBLE AS extra
    FROM trips t
),
fared AS (
    SELECT
        p.*,
        round(CASE ratecode
            WHEN 2 THEN 70.0
            WHEN 3 THEN 20.0 + 3.5 * distance + 0.35 * minutes
            WHEN 5 THEN 40.0 + 20.0 * u[12]
            ELSE 3.0 + 3.5 * distance + 0.35 * minutes
        END, 2) AS fare,
        CASE WHEN (pu_kind = 'airport' OR do_kind = 'airport') AND u[13] < 0.35 THEN 6.94
             WHEN u[13] < 0.015 THEN 6.94 ELSE 0.0 END::DOUBLE AS tolls,
        CASE WHEN pu_kind = 'core' OR do_kind = 'core' THEN 2.5 ELSE 0.0 END::DOUBLE AS congestion,
        CASE WHEN pu IN (132, 138) THEN 1.75 ELSE 0.0 END::DOUBLE AS airport_fee
    FROM priced p
),
tipped AS (
    SELECT
        f.*,
        -- card tips follow the screen's preset buttons; cash tips are not recorded by the meter
        CASE WHEN payment = 1 AND u[12] >= 0.12
             THEN round([0.20, 0.20, 0.20, 0.25, 0.25, 0.30, 0.15, 0.18][1 + floor(u[10] * 8)::INTEGER] * (fare + extra), 2)
             ELSE 0.0 END AS tip
    FROM fared f
)
SELECT
    CASE WHEN u[14] < 0.27 THEN 1 ELSE 2 END::INTEGER AS VendorID,
    pickup_at AS tpep_pickup_datetime,
    pickup_at + to_seconds(round(minutes * 60)) AS tpep_dropoff_datetime,
    CASE WHEN u[15] < 0.72 THEN 1 WHEN u[15] < 0.86 THEN 2 WHEN u[15] < 0.90 THEN 3
         WHEN u[15] < 0.92 THEN 4 WHEN u[15] < 0.96 THEN 5 WHEN u[15] < 0.985 THEN 6 ELSE 0 END::BIGINT AS passenger_count,
    distance AS trip_distance,
    ratecode::BIGINT AS RatecodeID,
    CASE WHEN u[16] < 0.004 THEN 'Y' ELSE 'N' END AS store_and_fwd_flag,
    pu::INTEGER AS PULocationID,
    dropoff::INTEGER AS DOLocationID,
    payment::BIGINT AS payment_type,
    fare AS fare_amount,
    extra,
    0.5::DOUBLE AS mta_tax,
    tip AS tip_amount,
    tolls AS tolls_amount,
    1.0::DOUBLE AS improvement_surcharge,
    round(fare + extra + 0.5 + tip + tolls + 1.0 + congestion + airport_fee, 2) AS total_amount,
    congestion AS congestion_surcharge,
    airport_fee AS Airport_fee
FROM tipped
