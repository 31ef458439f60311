//! The DTOs of the project's commands: what a client sends to each command
//! and what it gets back.
//!
//! Each DTO implements [`ferrocrud::shared::Command`], which ties it to its
//! service (through the entity Model that names it), its name and its
//! answer, so the typed client calls `client.cmd_s(&dto)` and gets the
//! answer's type back. Besides the Models, the module uses only serde,
//! schemars and `ferrocrud::shared`: to move it into a crate of its own, for
//! a front end or another service that needs the DTOs without the server,
//! give that crate a type per service implementing
//! `ferrocrud::shared::Resource` with the service's name.
//!
//! `ferrocrud generate cmd SERVICE NAME` adds a DTO above the marker below.

// ferrocrud:dtos
