//! `login` in cookie mode and `check_jwt` with renewal.

use chrono::Utc;

use super::AccountService;
use crate::command::CommandContext;
use crate::error::{Error, Result};
use crate::shared::user::{AccessTokenDto, CheckJwtResponseDto, LoginDto, LoginResponseDto};

impl AccountService {
    /// `login` as a command: with `options.jwtCookie` the session goes into
    /// cookies and the answer's token is `<jwt>#<csrf nonce>`.
    pub(crate) async fn login_command(
        &self,
        ctx: &CommandContext,
        dto: LoginDto,
    ) -> Result<LoginResponseDto> {
        let max_age = dto.expires_in_sec;
        let answer = self.login(dto).await?;
        if ctx.crud.options.jwt_cookie != Some(true) {
            return Ok(answer);
        }
        let claims = self.keys().verify(&answer.access_token)?;
        let session = self.cookie_session(&claims, max_age)?;
        for cookie in &session.set_cookies {
            ctx.set_cookie(cookie)?;
        }
        Ok(LoginResponseDto {
            access_token: format!("{}#{}", session.token, session.nonce),
            user_id: answer.user_id,
        })
    }

    /// The answer of a command that may log the user in (`logMeIn`): in
    /// cookie mode the new token goes into cookies and the answer's token is
    /// `<jwt>#<csrf nonce>`, as for `login`.
    pub(crate) fn cookie_answer(
        &self,
        ctx: &CommandContext,
        answer: AccessTokenDto,
    ) -> Result<AccessTokenDto> {
        let Some(token) = answer.access_token.as_deref() else {
            return Ok(answer);
        };
        if ctx.crud.options.jwt_cookie != Some(true) {
            return Ok(answer);
        }
        let claims = self.keys().verify(token)?;
        let session = self.cookie_session(&claims, None)?;
        for cookie in &session.set_cookies {
            ctx.set_cookie(cookie)?;
        }
        Ok(AccessTokenDto {
            access_token: Some(format!("{}#{}", session.token, session.nonce)),
        })
    }

    /// `check_jwt`: who the token stands for, with a renewed token once a
    /// configured part of its lifetime has passed (when `renew_jwt` is on and
    /// neither the user nor its role refuses renewal). A cookie-mode token is
    /// renewed in new cookies; a Basic login is never renewed.
    pub(crate) fn check_jwt_command(&self, ctx: &CommandContext) -> Result<CheckJwtResponseDto> {
        let user = ctx.crud.user.as_deref().ok_or(Error::NotAuthenticated)?;
        let mut answer = CheckJwtResponseDto {
            access_token: None,
            refresh_token_sec: None,
            user_id: user.id.clone(),
        };
        let Some(claims) = &user.claims else {
            return Ok(answer);
        };
        let options = self.options();
        if !options.renew_jwt || user.no_token_refresh {
            return Ok(answer);
        }
        let lifetime = claims.exp - claims.iat;
        let elapsed = Utc::now().timestamp() - claims.iat;
        if lifetime <= 0 || (elapsed as f64) < lifetime as f64 * options.renew_after_fraction {
            return Ok(answer);
        }
        if claims.csrf.is_some() {
            let session = self.cookie_session(claims, None)?;
            for cookie in &session.set_cookies {
                ctx.set_cookie(cookie)?;
            }
        } else {
            let (token, _) = self.keys().issue(&user.id, user.rvkd, lifetime, None)?;
            answer.access_token = Some(token);
            answer.refresh_token_sec = Some(lifetime);
        }
        Ok(answer)
    }
}
