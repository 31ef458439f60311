//! The DTOs of the project's commands: what a client sends to each command
//! and what it gets back.
//!
//! Each DTO implements [`ferrocrud::shared::Command`], which ties it to its
//! service, its name and its answer, so the typed client calls
//! `client.cmd_s(&dto)` and gets the answer's type back. The module uses
//! only serde, schemars and `ferrocrud::shared`: move it into a crate of its
//! own when a front end or another service needs the DTOs without the server.
//!
//! `ferrocrud generate cmd SERVICE NAME` adds a DTO above the marker below.

// ferrocrud:dtos
