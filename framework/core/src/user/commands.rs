//! The user service's built-in commands, as registered on the application.

use super::AccountService;
use super::cookies::CLEAR_JWT_COOKIE;
use crate::command::{Cmd, CommandContext, CommandSpec};
use crate::shared::user::{CheckJwtDto, CreateAccountDto, LoginDto, LogoutDto};

impl AccountService {
    /// The built-in commands, to register on the application.
    pub(crate) fn commands(&self) -> Vec<CommandSpec> {
        let users = self.clone();
        let create_account = Cmd::new(move |ctx: CommandContext, dto: CreateAccountDto| {
            let users = users.clone();
            async move { users.create_account(dto, &ctx.crud).await }
        });
        let users = self.clone();
        let login = Cmd::new(move |ctx: CommandContext, dto: LoginDto| {
            let users = users.clone();
            async move { users.login_command(&ctx, dto).await }
        });
        let users = self.clone();
        let check_jwt = Cmd::new(move |ctx: CommandContext, _dto: CheckJwtDto| {
            let answer = users.check_jwt_command(&ctx);
            async move { answer }
        });
        let logout = Cmd::new(|ctx: CommandContext, _dto: LogoutDto| async move {
            ctx.set_cookie(CLEAR_JWT_COOKIE)?;
            Ok(())
        });
        let mut create_account = create_account.into_spec();
        create_account.dto_schema = self.create_account_schema(create_account.dto_schema);
        let mut specs = vec![
            create_account,
            login.into_spec(),
            check_jwt.into_spec(),
            logout.into_spec(),
        ];
        specs.extend([
            self.logout_everywhere_command(),
            self.change_password_command(),
            self.send_verification_email_command(),
            self.verify_email_command(),
            self.send_password_reset_email_command(),
            self.reset_password_command(),
            self.timeout_user_command(),
        ]);
        specs
    }
}
