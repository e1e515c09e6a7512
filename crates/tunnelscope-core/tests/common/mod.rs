//! Identities shared by the data-driven tests (the principals of the built-in sample).

use serde_json::{Value, json};

/// The sample's account.
pub(crate) const ACCT: &str = "111122223333";

pub(crate) fn alice() -> Value {
    json!({"type":"IAMUser","principalId":"AIDAALICE","arn":format!("arn:aws:iam::{ACCT}:user/alice"),"accountId":ACCT,"userName":"alice"})
}
pub(crate) fn bob() -> Value {
    json!({"type":"AssumedRole","principalId":"AROAADMIN:bob","arn":format!("arn:aws:sts::{ACCT}:assumed-role/Admin/bob"),"accountId":ACCT})
}
pub(crate) fn carol() -> Value {
    json!({"type":"AssumedRole","principalId":"AROASSO:carol@example.com","arn":format!("arn:aws:sts::{ACCT}:assumed-role/AWSReservedSSO_Ops_0123/carol@example.com"),"accountId":ACCT})
}
pub(crate) fn mallory() -> Value {
    json!({"type":"IAMUser","principalId":"AIDAMALLORY","arn":format!("arn:aws:iam::{ACCT}:user/contractor-mallory"),"accountId":ACCT,"userName":"contractor-mallory"})
}
