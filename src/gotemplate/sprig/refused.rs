//! sprig functions slipway refuses: those that read the clock, randomness, the network or the
//! process environment would make image digests unreproducible; a few others are not provided.

use crate::gotemplate::exec::Exec;
use crate::gotemplate::funcs::{FuncMap, Ty, variadic};
use crate::gotemplate::value::Value;

const NONDETERMINISTIC: &[(&str, &str)] = &[
    ("now", "reads the clock"),
    ("ago", "reads the clock"),
    ("date", "formats dates (with the clock as default)"),
    ("date_in_zone", "formats dates (with the clock as default)"),
    ("dateInZone", "formats dates (with the clock as default)"),
    ("date_modify", "reads the clock"),
    ("dateModify", "reads the clock"),
    ("must_date_modify", "reads the clock"),
    ("mustDateModify", "reads the clock"),
    ("htmlDate", "formats dates (with the clock as default)"),
    (
        "htmlDateInZone",
        "formats dates (with the clock as default)",
    ),
    ("toDate", "parses dates in the local time zone"),
    ("mustToDate", "parses dates in the local time zone"),
    ("unixEpoch", "formats dates"),
    ("duration", "formats durations"),
    ("durationRound", "reads the clock"),
    ("randAlphaNum", "is random"),
    ("randAlpha", "is random"),
    ("randAscii", "is random"),
    ("randNumeric", "is random"),
    ("randInt", "is random"),
    ("randBytes", "is random"),
    ("shuffle", "is random"),
    ("uuidv4", "is random"),
    ("bcrypt", "is random (salted)"),
    ("htpasswd", "is random (salted)"),
    ("genPrivateKey", "is random"),
    ("genCA", "is random"),
    ("genCAWithKey", "is random"),
    ("genSelfSignedCert", "is random"),
    ("genSelfSignedCertWithKey", "is random"),
    ("genSignedCert", "is random"),
    ("genSignedCertWithKey", "is random"),
    ("buildCustomCert", "is random"),
    ("encryptAES", "is random (a random IV)"),
    ("getHostByName", "reads the network"),
    ("expandenv", "reads the process environment"),
];

const UNSUPPORTED: &[&str] = &[
    "decryptAES",
    "derivePassword",
    "urlParse",
    "urlJoin",
    "hello",
];

pub fn register(m: &mut FuncMap) {
    for (name, _) in NONDETERMINISTIC {
        m.insert(name, variadic(&[], Ty::Any), refuse);
    }
    for name in UNSUPPORTED {
        m.insert(name, variadic(&[], Ty::Any), refuse);
    }
}

/// Why `name` is refused, for the error message.
pub fn reason(name: &str) -> Option<String> {
    if let Some((_, why)) = NONDETERMINISTIC.iter().find(|(n, _)| *n == name) {
        return Some(format!(
            "function \"{name}\" is not allowed: it {why}, which would make image digests unreproducible"
        ));
    }
    UNSUPPORTED
        .contains(&name)
        .then(|| format!("function \"{name}\" is not supported by slipway"))
}

/// What a refused function returns; the executor, which knows the function's name, replaces it
/// with [`reason`].
pub const REFUSED: &str = "\u{0}refused";

fn refuse(_: &mut Exec<'_>, _: &[Value]) -> Result<Value, String> {
    Err(REFUSED.to_owned())
}
