//! `generate cmd SERVICE NAME`: a command's DTO in the shared module, its
//! handler, an ability stub that denies everyone, its registration and its
//! tests.

use std::path::Path;

use super::service::{generated_header, wiring_path};
use super::{GenerateError, Injection, Plan, fill, read};
use crate::fs::FileSystem;
use crate::names::{CmdName, ServiceName};

const DTO: &str = include_str!("../../templates/cmd/dto.rs.t");
const HANDLER: &str = include_str!("../../templates/cmd/handler.rs.t");
const TEST: &str = include_str!("../../templates/cmd/test.rs.t");

/// The plan that adds command `cmd` to service `service` of the project in
/// `fs`, whose crate is `project_crate`.
///
/// # Errors
///
/// [`GenerateError::UnknownService`] when `generate service` did not make
/// `service`.
pub fn cmd_plan(
    fs: &dyn FileSystem,
    project_crate: &str,
    service: &ServiceName,
    cmd: &CmdName,
) -> Result<Plan, GenerateError> {
    let wiring = wiring_path(service);
    let generated =
        read(fs, &wiring)?.is_some_and(|text| text.contains(&generated_header(service)));
    if !generated {
        return Err(GenerateError::UnknownService {
            service: service.kebab.clone(),
            path: wiring,
        });
    }
    let vars = [
        ("FerrocrudService", service.pascal.as_str()),
        ("ferrocrud-service", service.kebab.as_str()),
        ("ferrocrud_service", service.snake.as_str()),
        ("FerrocrudCmd", cmd.pascal.as_str()),
        ("ferrocrud_cmd", cmd.snake.as_str()),
        ("ferrocrud_app", project_crate),
    ];
    let (s, c) = (&service.snake, &cmd.snake);
    let dto = format!("{}{}Dto", service.pascal, cmd.pascal);
    let registration = format!("let app = app.command({c}::command());");
    Ok(Plan {
        what: format!("command `{c}` of service `{service}`"),
        applied_when: (wiring.clone(), registration.clone()),
        files: vec![
            (
                format!("src/services/{s}/{c}.rs").into(),
                fill(HANDLER, &vars),
            ),
            (format!("tests/{s}_{c}.rs").into(), fill(TEST, &vars)),
        ],
        injections: vec![
            Injection {
                path: Path::new("src/shared.rs").to_owned(),
                marker: "// ferrocrud:dtos",
                text: fill(DTO, &vars) + "\n",
                present: format!("pub struct {dto}"),
                sorted: false,
            },
            Injection {
                path: wiring.clone(),
                marker: "// ferrocrud:command-modules",
                text: format!("pub mod {c};\n"),
                present: format!("pub mod {c};"),
                sorted: true,
            },
            Injection {
                path: wiring.clone(),
                marker: "// ferrocrud:command-abilities",
                text: format!("let abilities = {c}::abilities(abilities);\n"),
                present: format!("{c}::abilities("),
                sorted: false,
            },
            Injection {
                path: wiring,
                marker: "// ferrocrud:commands",
                text: format!("{registration}\n"),
                present: registration,
                sorted: false,
            },
            Injection {
                path: "tests/main.rs".into(),
                marker: "// ferrocrud:test-modules",
                text: format!("mod {s}_{c};\n"),
                present: format!("mod {s}_{c};"),
                sorted: true,
            },
        ],
    })
}
