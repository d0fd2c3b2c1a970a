//! The breaks' one error type: an AWS refusal said once, with its reason and what the
//! organizer can do about it.

use std::fmt::Debug;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::Applied;

/// Why a break could not find, change or put back a team's resources.
#[derive(Debug, thiserror::Error)]
pub enum ChaosError {
    /// AWS said no: the role (or the credentials) may not do this.
    #[error(
        "{code}: the chaos role may not {action} on {resource}: is organizer-roles.yaml \
         deployed in that account, and are [[chaos.aws]]'s role_arn and external_id its own?"
    )]
    Denied {
        code: String,
        action: &'static str,
        resource: String,
    },
    /// AWS answered with another error.
    #[error("{action} on {resource} failed: {code}: {message}{hint}")]
    Aws {
        action: &'static str,
        resource: String,
        code: String,
        message: String,
        /// What to try, when the code says it (empty otherwise).
        hint: String,
    },
    /// No answer from AWS: the network, the endpoint or the credentials (assuming the role
    /// happens here too).
    #[error(
        "{action}: no answer from AWS ({reason}): check the network, the region and that the \
         organizer's credentials may assume the chaos role"
    )]
    Unreachable {
        action: &'static str,
        reason: String,
    },
    /// The credentials for the team's account could not be had: assuming the chaos role
    /// failed (or the profile has none).
    #[error(
        "{action}: no credentials for the team's account ({reason}): is organizer-roles.yaml \
         deployed there, does GameDayChaos trust the organizer's account with [[chaos.aws]]'s \
         external_id, and may the organizer's credentials sts:AssumeRole it?"
    )]
    Credentials {
        action: &'static str,
        reason: String,
    },
    /// The team's URL cannot lead to its resources.
    #[error(
        "team {team}: {url:?} is not an http(s) URL with a host: register the stack's Url output"
    )]
    BadUrl { team: String, url: String },
    /// The break has nothing to act on.
    #[error("team {team}: {action} finds nothing to break: {why}")]
    NothingToBreak {
        team: String,
        action: &'static str,
        why: String,
    },
    /// Some changes were made before one failed: `done` says which (record it, so that
    /// restore can put them back).
    #[error("{source} (after {} change(s) made: restore puts them back)", done.changes.len())]
    Partial {
        done: Box<Applied>,
        source: Box<ChaosError>,
    },
}

impl ChaosError {
    /// The error of an SDK call `action` (as IAM names it, `ec2:RevokeSecurityGroupIngress`)
    /// on `resource`.
    pub(crate) fn from_sdk<E, R>(
        action: &'static str,
        resource: impl Into<String>,
        err: SdkError<E, R>,
    ) -> ChaosError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: Debug + 'static,
    {
        let resource = resource.into();
        let Some(code) = err.code().map(str::to_owned) else {
            if let Some(failed) = credentials_error(&err) {
                let reason = aws_reason(&format!("{failed:?}"))
                    .unwrap_or_else(|| DisplayErrorContext(failed).to_string());
                return ChaosError::Credentials { action, reason };
            }
            return ChaosError::Unreachable {
                action,
                reason: DisplayErrorContext(&err).to_string(),
            };
        };
        if is_denied(&code) {
            return ChaosError::Denied {
                code,
                action,
                resource,
            };
        }
        let message = err.message().unwrap_or("(no message)").to_owned();
        let hint = hint(&code).map(|h| format!(": {h}")).unwrap_or_default();
        ChaosError::Aws {
            action,
            resource,
            code,
            message,
            hint,
        }
    }
}

/// The credentials provider's failure inside an SDK error, if that is what it is.
fn credentials_error<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a CredentialsError> {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if let Some(failed) = e.downcast_ref::<CredentialsError>() {
            return Some(failed);
        }
        cause = e.source();
    }
    None
}

/// `Code: Message` of an AWS error response's body, wherever it was kept (STS's answer to
/// AssumeRole reaches us only inside the credentials provider's error).
fn aws_reason(text: &str) -> Option<String> {
    let between = |open: &str, close: &str| {
        let start = text.find(open)? + open.len();
        let len = text[start..].find(close)?;
        Some(text[start..start + len].to_owned())
    };
    let code = between("<Code>", "</Code>")?;
    Some(match between("<Message>", "</Message>") {
        Some(message) => format!("{code}: {message}"),
        None => code,
    })
}

fn is_denied(code: &str) -> bool {
    matches!(
        code,
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "Forbidden"
    )
}

/// What an organizer can do about an error code, when it says something.
fn hint(code: &str) -> Option<&'static str> {
    Some(match code {
        "AuthFailure" | "InvalidClientTokenId" | "SignatureDoesNotMatch" | "ExpiredToken" => {
            "the organizer's AWS credentials are not valid: renew them (aws sso login, or the profile)"
        }
        "DependencyViolation" => {
            "AWS refuses while something depends on it (an internet gateway cannot be detached \
             while the VPC has public addresses mapped): choose another break for this team"
        }
        "RequestLimitExceeded" | "Throttling" | "ThrottlingException" => {
            "AWS is throttling the account: try again in a minute"
        }
        "IncorrectInstanceState" => {
            "the instance is not in a state that allows it: describe it and retry"
        }
        "NetworkAclEntryAlreadyExists" => {
            "a rule with that number appeared since the plan: plan again"
        }
        "RouteAlreadyExists" | "InvalidPermission.Duplicate" | "Resource.AlreadyAssociated" => {
            "it is already there (the team mended it): nothing to restore"
        }
        _ if code.ends_with(".NotFound") => {
            "it is gone since the plan (the team replaced it?): plan again"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_denial_says_the_action_the_resource_and_the_role_to_deploy() {
        let text = ChaosError::Denied {
            code: "UnauthorizedOperation".into(),
            action: "ec2:RevokeSecurityGroupIngress",
            resource: "sg-123".into(),
        }
        .to_string();
        assert!(
            text.starts_with("UnauthorizedOperation: the chaos role may not ec2:RevokeSecurityGroupIngress on sg-123")
                && text.contains("organizer-roles.yaml"),
            "{text}"
        );
    }

    #[test]
    fn an_aws_answer_kept_in_an_error_gives_its_code_and_message() {
        let debug = r#"body: b"<ErrorResponse><Error><Code>AccessDenied</Code><Message>User: x is not authorized to perform: sts:AssumeRole</Message></Error>""#;
        assert_eq!(
            aws_reason(debug).as_deref(),
            Some("AccessDenied: User: x is not authorized to perform: sts:AssumeRole")
        );
        assert_eq!(aws_reason("dispatch failure: io error"), None);
    }

    #[test]
    fn known_codes_have_hints_and_others_none() {
        assert!(
            hint("DependencyViolation")
                .unwrap()
                .contains("public addresses")
        );
        assert!(
            hint("InvalidRouteTableID.NotFound")
                .unwrap()
                .contains("plan again")
        );
        assert!(hint("SomethingElse").is_none());
        assert!(is_denied("AccessDenied") && !is_denied("AuthFailure"));
    }
}
