//! The services, one module each. `ferrocrud generate service NAME` adds
//! one above the marker below.

pub mod user;
// ferrocrud:service-modules
