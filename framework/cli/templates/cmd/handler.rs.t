//! Command `ferrocrud_cmd` of service `ferrocrud-service`: its handler, its call
//! settings and who may call it. Its DTO is
//! [`FerrocrudServiceFerrocrudCmdDto`](crate::shared::FerrocrudServiceFerrocrudCmdDto).
//!
//! Scaffolded by `ferrocrud generate cmd ferrocrud-service ferrocrud_cmd`; yours
//! to edit.

use ferrocrud::command::{Cmd, CommandContext};
use ferrocrud::security::ServiceSecurity;

use crate::shared::FerrocrudServiceFerrocrudCmdDto as Dto;

/// The command, ready to register: its handler and its call settings (see
/// [`Cmd`]: `secure_only`, `allow_get`, `max_uses_per_user`, …).
pub fn command() -> Cmd<Dto> {
    Cmd::new(handle)
}

/// Who may call `ferrocrud_cmd`: as generated, nobody. The rule below denies
/// guests, every role inherits from `guest`, and no role has a `can` for the
/// command. Replace it with the roles that may call it, e.g.
/// `security.role("user", |r| { r.can_cmd::<Dto>(); })`; a condition
/// (`.when(…)`) applies to the DTO's fields.
pub fn abilities(security: ServiceSecurity) -> ServiceSecurity {
    security.role("guest", |r| {
        r.cannot_cmd::<Dto>();
    })
}

/// Runs `ferrocrud_cmd` for the caller of `ctx`.
async fn handle(ctx: CommandContext, dto: Dto) -> ferrocrud::Result<String> {
    let caller = ctx.user_id().unwrap_or("a guest");
    Ok(format!("ferrocrud_cmd {} for {caller}", dto.my_arg))
}

#[cfg(test)]
mod tests {
    use ferrocrud::CrudContext;
    use ferrocrud::context::Verb;

    use super::*;
    use crate::services::ferrocrud_service::entity::Model;

    #[tokio::test]
    async fn answers_with_its_argument() {
        let crud = CrudContext::guest_for::<Model>("guest", Verb::Post);
        let ctx = CommandContext::new(crud);
        let dto = Dto {
            my_arg: "hello".into(),
        };
        let answer = handle(ctx, dto).await.expect("an answer");
        assert_eq!(answer, "ferrocrud_cmd hello for a guest");
    }
}
