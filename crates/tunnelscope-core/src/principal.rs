//! Principals: keyed by ARN, shown as people know them.

use crate::record::IdentityIn;

/// A principal's key and display name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Principal {
    /// ARN, else principal ID, else the invoking service.
    pub key: String,
    /// IAM user name, `role/session`, `root`, the service, …
    pub display: String,
}

/// Describes the principal of a record's `userIdentity`.
pub(crate) fn describe(identity: Option<&IdentityIn<'_>>) -> Principal {
    let (key, display) = describe_borrowed(identity);
    Principal { key: key.to_owned(), display: display.to_owned() }
}

/// [`describe`] as text borrowed from the identity: (key, display name).
pub(crate) fn describe_borrowed<'b>(identity: Option<&'b IdentityIn<'_>>) -> (&'b str, &'b str) {
    let Some(id) = identity else {
        return ("", "");
    };
    let arn = id.arn.as_str();
    let key = [arn, id.principal_id.as_str(), id.invoked_by.as_str()].into_iter().find(|s| !s.is_empty()).unwrap_or("");
    (key, display_name(id, arn))
}

fn display_name<'b>(id: &'b IdentityIn<'_>, arn: &'b str) -> &'b str {
    let kind = id.kind.as_str();
    let resource = arn.splitn(6, ':').nth(5).unwrap_or("");
    if kind == "Root" || resource == "root" {
        return "root";
    }
    if let Some(rest) = resource.strip_prefix("assumed-role/") {
        // rest = ROLE/SESSION; Identity Center roles are known by the session (the person).
        let (role, session) = rest.split_once('/').unwrap_or((rest, ""));
        if role.starts_with("AWSReservedSSO_") && !session.is_empty() {
            return session;
        }
        // ROLE/SESSION is `rest` itself (the session is everything after the first slash).
        return if session.is_empty() { role } else { rest };
    }
    if let Some(name) = resource.strip_prefix("user/") {
        // IAM user ARNs may carry a path (user/dev/alice): the name is the last part.
        return name.rsplit('/').next().unwrap_or(name);
    }
    if let Some(name) = resource.strip_prefix("federated-user/") {
        return name;
    }
    if !id.user_name.as_str().is_empty() {
        return id.user_name.as_str();
    }
    if kind == "AssumedRole" {
        if let Some(issuer) = id.session_context.as_ref().and_then(|c| c.session_issuer.as_ref()) {
            if !issuer.user_name.as_str().is_empty() {
                return issuer.user_name.as_str();
            }
        }
    }
    if !id.invoked_by.as_str().is_empty() {
        return id.invoked_by.as_str();
    }
    if !arn.is_empty() {
        return arn;
    }
    id.principal_id.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn display(identity_json: &str) -> Principal {
        let id: IdentityIn<'_> = serde_json::from_str(identity_json).unwrap();
        describe(Some(&id))
    }

    #[test]
    fn people_names() {
        let cases = [
            (r#"{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/alice","userName":"alice"}"#, "alice"),
            (r#"{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/dev/bob"}"#, "bob"),
            (r#"{"type":"Root","arn":"arn:aws:iam::123456789012:root"}"#, "root"),
            (r#"{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/Admin/alice"}"#, "Admin/alice"),
            (
                r#"{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/carol@example.com"}"#,
                "carol@example.com",
            ),
            (r#"{"type":"AWSService","invokedBy":"cloudfront.amazonaws.com"}"#, "cloudfront.amazonaws.com"),
            (r#"{"type":"FederatedUser","arn":"arn:aws:sts::123456789012:federated-user/dave"}"#, "dave"),
            (r#"{"type":"Unknown","principalId":"AIDAEXAMPLE"}"#, "AIDAEXAMPLE"),
        ];
        for (json, want) in cases {
            assert_eq!(display(json).display, want, "{json}");
        }
        assert_eq!(display(r#"{"type":"AWSService","invokedBy":"x.amazonaws.com"}"#).key, "x.amazonaws.com");
    }
}
