/// What a client sends to command `ferrocrud_cmd` of service `ferrocrud-service`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FerrocrudServiceFerrocrudCmdDto {
    /// An example argument (`myArg` on the wire): replace it with your own.
    pub my_arg: String,
}

impl ferrocrud::shared::Command for FerrocrudServiceFerrocrudCmdDto {
    type Service = crate::services::ferrocrud_service::entity::Model;
    const NAME: &'static str = "ferrocrud_cmd";
    type Return = String;
}
