//! What an operator runs beside `serve`: the first admin key, the demo, master-key
//! rotation and the container health probe.

pub mod bootstrap;
pub mod demo;
pub mod health_probe;
pub mod rotation;
