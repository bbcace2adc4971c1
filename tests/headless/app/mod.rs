//! Headless app tests: keys and source events driven through `update`, then assertions on the
//! state, the commands, and the rendered buffer.

mod apps;
mod copy;
mod custom;
mod first_aid;
mod incident;
mod kafka;
mod kafka_admin;
mod kafka_first_aid;
mod keys;
mod logs_fields;
mod logs_histogram;
mod logs_traces;
mod mouse;
mod paging;
mod pg_first_aid;
mod platform;
mod postgres;
mod postgres_read;
mod queries;
mod routing;
mod service_map;
