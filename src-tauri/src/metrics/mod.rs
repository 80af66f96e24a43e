//! Metrics from the locally stored `query-completed` events: per provider and AI Config variation,
//! the samples behind the plots, and the `ai-config` experiment ([`stats`]).

pub mod stats;
