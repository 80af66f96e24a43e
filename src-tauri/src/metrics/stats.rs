//! Experiment statistics: Student's t and Welch intervals for latencies, Wilson and Newcombe
//! intervals for success rates, percentiles — checked against SciPy's values (fixtures).
