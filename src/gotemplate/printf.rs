//! Go's `fmt` for template values: `Sprint`, `Sprintln`, `Sprintf` with Go's verbs, flags, width
//! and precision, and its `%!verb(type=value)` texts for mismatches.

use super::strconv;
use super::value::Value;

/// `fmt.Sprint`: operands separated by a space when neither side is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::Str(_));
        if i > 0 && !is_string && !matches!(args[i - 1], Value::Str(_)) {
            out.push(' ');
        }
        out.push_str(&display(arg));
    }
    out
}

/// `fmt.Sprintln`: operands always separated by spaces, then a newline.
pub fn sprintln(args: &[Value]) -> String {
    let mut out: Vec<String> = args.iter().map(display).collect();
    let mut line = std::mem::take(&mut out).join(" ");
    line.push('\n');
    line
}

/// `%v` of a value.
pub fn display(value: &Value) -> String {
    let mut out = String::new();
    write_display(&mut out, value);
    out
}

/// `%v` of a value, appended to `out`.
pub fn write_display(out: &mut String, value: &Value) {
    write_v(out, value, false);
}

fn write_v(out: &mut String, value: &Value, sharp: bool) {
    match value {
        Value::Missing | Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&format_float_g(*f, None, false)),
        Value::Str(s) => {
            if sharp {
                out.push_str(&strconv::quote(s));
            } else {
                out.push_str(s);
            }
        }
        Value::List(items) => {
            if sharp {
                out.push_str("[]interface {}{");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_v(out, item, true);
                }
                out.push('}');
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_v(out, item, false);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            if sharp {
                out.push_str("map[string]interface {}{");
                for (i, (k, v)) in entries.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&strconv::quote(k));
                    out.push(':');
                    write_v(out, v, true);
                }
                out.push('}');
                return;
            }
            out.push_str("map[");
            for (i, (k, v)) in entries.borrow().iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_v(out, v, false);
            }
            out.push(']');
        }
        Value::Object(o) => out.push_str(&o.display()),
    }
}

/// Go's `strconv.FormatFloat(f, 'g', prec, 64)` (`None` is the shortest representation) as `%v`
/// and `%g` print it.
pub fn format_float_g(f: f64, prec: Option<usize>, upper: bool) -> String {
    if let Some(special) = special_float(f, false, false) {
        return special;
    }
    // Decimal digits and exponent of the (rounded) value.
    let sci = match prec {
        None => format!("{f:e}"),
        Some(p) => format!("{:.*e}", p.max(1) - 1, f),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mantissa.starts_with('-');
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    if digits == "0" {
        digits.clear();
    }
    let nd = digits.len() as i32;
    let dp = if nd == 0 { 0 } else { exp + 1 };
    let mut eprec = match prec {
        None => 6,
        Some(p) => {
            let p = p.max(1) as i32;
            if p > nd && nd >= dp { nd } else { p }
        }
    };
    if prec.is_none() {
        eprec = 6;
    }
    let e = dp - 1;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if nd == 0 {
        out.push('0');
        return out;
    }
    if e < -4 || e >= eprec {
        out.push_str(&digits[..1]);
        if nd > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push(if upper { 'E' } else { 'e' });
        out.push(if e < 0 { '-' } else { '+' });
        let abs = e.abs();
        if abs < 10 {
            out.push('0');
        }
        out.push_str(&abs.to_string());
        return out;
    }
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        out.push_str(&digits);
    } else if dp >= nd {
        out.push_str(&digits);
        for _ in 0..(dp - nd) {
            out.push('0');
        }
    } else {
        out.push_str(&digits[..dp as usize]);
        out.push('.');
        out.push_str(&digits[dp as usize..]);
    }
    out
}

fn special_float(f: f64, plus: bool, space: bool) -> Option<String> {
    if f.is_nan() {
        return Some("NaN".to_owned());
    }
    if f.is_infinite() {
        return Some(if f > 0.0 {
            if plus {
                "+Inf".to_owned()
            } else if space {
                " Inf".to_owned()
            } else {
                "+Inf".to_owned()
            }
        } else {
            "-Inf".to_owned()
        });
    }
    None
}

/// Go's `%x` of a float (`strconv.FormatFloat(f, 'x', -1, 64)`): `0x1.9p+06`.
fn hex_float(f: f64) -> String {
    let sign = if f.is_sign_negative() { "-" } else { "" };
    let f = f.abs();
    if f == 0.0 {
        return format!("{sign}0x0p+00");
    }
    let bits = f.to_bits();
    let mut exp = ((bits >> 52) & 0x7ff) as i64;
    let mut mant = bits & ((1 << 52) - 1);
    if exp == 0 {
        // Subnormal: normalize so the leading 1 is implicit.
        let shift = mant.leading_zeros() as i64 - 11;
        mant = (mant << shift) & ((1 << 52) - 1);
        exp = 1 - shift;
    }
    let exp = exp - 1023;
    let mut digits = format!("{mant:013x}");
    while digits.ends_with('0') {
        digits.pop();
    }
    let point = if digits.is_empty() {
        String::new()
    } else {
        format!(".{digits}")
    };
    let esign = if exp < 0 { '-' } else { '+' };
    format!("{sign}0x1{point}p{esign}{:02}", exp.abs())
}

/// Go's `%e` with `prec` digits after the point.
fn format_float_e(f: f64, prec: usize, upper: bool) -> String {
    let sci = format!("{:.*e}", prec, f);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    let e = if upper { 'E' } else { 'e' };
    format!("{mantissa}{e}{sign}{:02}", exp.abs())
}

#[derive(Default, Clone, Copy)]
struct Flags {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// `fmt.Sprintf`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut arg_index = 0;
    let mut chars = format.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = Flags::default();
        while let Some(&(_, f)) = chars.peek() {
            match f {
                '-' => {
                    flags.minus = true;
                    flags.zero = false;
                }
                '+' => flags.plus = true,
                '#' => flags.sharp = true,
                ' ' => flags.space = true,
                '0' => flags.zero = !flags.minus,
                _ => break,
            }
            chars.next();
        }
        // Width.
        if let Some(&(_, '*')) = chars.peek() {
            chars.next();
            match args.get(arg_index) {
                Some(Value::Int(w) | Value::Int64(w)) => {
                    arg_index += 1;
                    if *w < 0 {
                        flags.minus = true;
                        flags.zero = false;
                    }
                    flags.width = Some(w.unsigned_abs() as usize);
                }
                _ => {
                    arg_index += 1;
                    out.push_str("%!(BADWIDTH)");
                }
            }
        } else {
            let mut width = String::new();
            while let Some(&(_, d)) = chars.peek() {
                if d.is_ascii_digit() {
                    width.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            if !width.is_empty() {
                flags.width = width.parse().ok();
            }
        }
        // Precision.
        if let Some(&(_, '.')) = chars.peek() {
            chars.next();
            if let Some(&(_, '*')) = chars.peek() {
                chars.next();
                match args.get(arg_index) {
                    Some(Value::Int(p) | Value::Int64(p)) if *p >= 0 => {
                        flags.prec = Some(*p as usize);
                    }
                    _ => out.push_str("%!(BADPREC)"),
                }
                arg_index += 1;
            } else {
                let mut prec = String::new();
                while let Some(&(_, d)) = chars.peek() {
                    if d.is_ascii_digit() {
                        prec.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                flags.prec = Some(prec.parse().unwrap_or(0));
            }
        }
        let Some((_, verb)) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(arg_index) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        arg_index += 1;
        format_arg(&mut out, arg, verb, flags);
    }
    if arg_index < args.len() {
        out.push_str("%!(EXTRA ");
        for (i, arg) in args[arg_index..].iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            if arg.is_nil() {
                out.push_str("<nil>");
            } else {
                out.push_str(arg.type_name());
                out.push('=');
                out.push_str(&display(arg));
            }
        }
        out.push(')');
    }
    out
}

/// `%!verb(type=value)`, the value printed with `%v` and the verb's flags, as Go does.
fn bad_verb(out: &mut String, arg: &Value, verb: char, flags: Flags) {
    out.push_str("%!");
    out.push(verb);
    out.push('(');
    if arg.is_nil() {
        out.push_str("<nil>");
    } else {
        out.push_str(arg.type_name());
        out.push('=');
        format_arg(out, arg, 'v', flags);
    }
    out.push(')');
}

/// An element of a list or map: Go prints a nil element as `<nil>` whatever the verb and
/// width.
fn format_elem(out: &mut String, v: &Value, verb: char, flags: Flags) {
    if v.is_nil() {
        out.push_str("<nil>");
    } else {
        format_arg(out, v, verb, flags);
    }
}

fn pad(out: &mut String, s: &str, flags: Flags) {
    let len = s.chars().count();
    let width = flags.width.unwrap_or(0);
    if len >= width {
        out.push_str(s);
        return;
    }
    let fill = width - len;
    if flags.minus {
        out.push_str(s);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if flags.zero {
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(s);
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(s);
    }
}

/// Pads a number: zero padding goes after the sign.
fn pad_number(out: &mut String, s: &str, flags: Flags) {
    let width = flags.width.unwrap_or(0);
    if flags.zero && !flags.minus && s.len() < width {
        let (sign, digits) = match s.as_bytes().first() {
            Some(b'-' | b'+' | b' ') => s.split_at(1),
            _ => ("", s),
        };
        out.push_str(sign);
        out.extend(std::iter::repeat_n('0', width - s.len()));
        out.push_str(digits);
        return;
    }
    let mut flags = flags;
    flags.zero = false;
    pad(out, s, flags);
}

fn format_arg(out: &mut String, arg: &Value, verb: char, flags: Flags) {
    match (verb, arg) {
        ('T', _) => {
            let name = if arg.is_nil() {
                "<nil>"
            } else {
                arg.type_name()
            };
            pad(out, name, flags);
        }
        ('v', Value::Int(i) | Value::Int64(i)) => format_int(out, *i, 'd', flags),
        ('v', Value::Float(f)) => format_float(out, *f, 'g', flags),
        ('v', Value::Str(s)) if flags.sharp => pad(out, &strconv::quote(s), flags),
        ('v', _) => {
            let mut s = String::new();
            write_v(&mut s, arg, flags.sharp);
            pad(out, &s, flags);
        }
        ('d' | 'b' | 'o' | 'O' | 'x' | 'X' | 'c' | 'q' | 'U', Value::Int(i) | Value::Int64(i)) => {
            format_int(out, *i, verb, flags);
        }
        ('s' | 'q' | 'x' | 'X', Value::Str(s)) => format_str(out, s, verb, flags),
        ('t', Value::Bool(b)) => pad(out, if *b { "true" } else { "false" }, flags),
        ('e' | 'E' | 'f' | 'F' | 'g' | 'G' | 'x' | 'X', Value::Float(f)) => {
            format_float(out, *f, verb, flags);
        }
        (_, Value::List(items)) if verb != 'T' => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                format_elem(out, item, verb, flags);
            }
            out.push(']');
        }
        (_, Value::Map(entries)) => {
            out.push_str("map[");
            for (i, (k, v)) in entries.borrow().iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                format_arg(out, &Value::str(k.as_str()), verb, flags);
                out.push(':');
                format_elem(out, v, verb, flags);
            }
            out.push(']');
        }
        _ => bad_verb(out, arg, verb, flags),
    }
}

fn format_int(out: &mut String, i: i64, verb: char, flags: Flags) {
    let neg = i < 0;
    let abs = i.unsigned_abs();
    let mut digits = match verb {
        'd' => abs.to_string(),
        'b' => format!("{abs:b}"),
        'o' | 'O' => format!("{abs:o}"),
        'x' => format!("{abs:x}"),
        'X' => format!("{abs:X}"),
        'c' => {
            let c = char::from_u32(i as u32).unwrap_or('\u{FFFD}');
            return pad(out, &c.to_string(), flags);
        }
        'q' => {
            let c = char::from_u32(i as u32).unwrap_or('\u{FFFD}');
            return pad(out, &strconv::quote_rune(c), flags);
        }
        'U' => {
            let s = format!("U+{abs:04X}");
            return pad(out, &s, flags);
        }
        _ => abs.to_string(),
    };
    if let Some(prec) = flags.prec {
        if prec == 0 && abs == 0 {
            digits.clear();
        }
        while digits.len() < prec {
            digits.insert(0, '0');
        }
    }
    let mut prefix = String::new();
    if neg {
        prefix.push('-');
    } else if flags.plus {
        prefix.push('+');
    } else if flags.space {
        prefix.push(' ');
    }
    if flags.sharp {
        match verb {
            'x' => prefix.push_str("0x"),
            'X' => prefix.push_str("0X"),
            'o' if !digits.starts_with('0') => prefix.push('0'),
            'b' => prefix.push_str("0b"),
            _ => {}
        }
    }
    if verb == 'O' {
        prefix.push_str("0o");
    }
    let mut flags = flags;
    if flags.prec.is_some() {
        flags.zero = false;
    }
    let s = format!("{prefix}{digits}");
    if flags.zero && !flags.minus {
        let width = flags.width.unwrap_or(0);
        if s.len() < width {
            out.push_str(&prefix);
            out.extend(std::iter::repeat_n('0', width - s.len()));
            out.push_str(&digits);
            return;
        }
    }
    flags.zero = false;
    pad(out, &s, flags);
}

fn format_str(out: &mut String, s: &str, verb: char, flags: Flags) {
    let truncated: String = match flags.prec {
        Some(p) if verb == 's' || verb == 'q' => s.chars().take(p).collect(),
        _ => s.to_owned(),
    };
    let text = match verb {
        's' => truncated,
        'q' => {
            if flags.sharp && !truncated.contains('`') {
                format!("`{truncated}`")
            } else if flags.plus {
                strconv::quote_ascii(&truncated)
            } else {
                strconv::quote(&truncated)
            }
        }
        'x' | 'X' => {
            let bytes = match flags.prec {
                Some(p) => &s.as_bytes()[..p.min(s.len())],
                None => s.as_bytes(),
            };
            let mut hex = String::new();
            for (i, b) in bytes.iter().enumerate() {
                if flags.space && i > 0 {
                    hex.push(' ');
                }
                if flags.sharp && (flags.space || i == 0) {
                    hex.push_str(if verb == 'x' { "0x" } else { "0X" });
                }
                if verb == 'x' {
                    hex.push_str(&format!("{b:02x}"));
                } else {
                    hex.push_str(&format!("{b:02X}"));
                }
            }
            hex
        }
        _ => truncated,
    };
    pad(out, &text, flags);
}

fn format_float(out: &mut String, f: f64, verb: char, flags: Flags) {
    if let Some(special) = special_float(f, flags.plus, flags.space) {
        let mut flags = flags;
        flags.zero = false;
        let s = if f.is_nan() && flags.plus {
            "+NaN".to_owned()
        } else if f.is_nan() && flags.space {
            " NaN".to_owned()
        } else if f > 0.0 && !flags.plus && !flags.space {
            "+Inf".to_owned()
        } else {
            special
        };
        return pad(out, &s, flags);
    }
    let mut s = match verb {
        'e' | 'E' => format_float_e(f, flags.prec.unwrap_or(6), verb == 'E'),
        'f' | 'F' => format!("{:.*}", flags.prec.unwrap_or(6), f),
        'g' | 'G' => format_float_g(f, flags.prec, verb == 'G'),
        'x' | 'X' if flags.prec.is_none() => {
            let s = hex_float(f);
            if verb == 'X' { s.to_uppercase() } else { s }
        }
        _ => return bad_verb(out, &Value::Float(f), verb, flags),
    };
    if s.starts_with("-0") && f == 0.0 && f.is_sign_negative() {
        // Go prints negative zero with its sign, as Rust does.
    }
    if !s.starts_with('-') {
        if flags.plus {
            s.insert(0, '+');
        } else if flags.space {
            s.insert(0, ' ');
        }
    }
    pad_number(out, &s, flags);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs() {
        let cases: &[(&str, Vec<Value>, &str)] = &[
            (
                "%s|%d|%v",
                vec![Value::str("a"), Value::Int(3), Value::Bool(true)],
                "a|3|true",
            ),
            (
                "%05d|%-4s|%x",
                vec![Value::Int(-42), Value::str("ab"), Value::Int(255)],
                "-0042|ab  |ff",
            ),
            (
                "%q %t %.2f",
                vec![Value::str("x\"y"), Value::Bool(false), Value::Float(2.345)],
                "\"x\\\"y\" false 2.35",
            ),
            ("%d", vec![Value::str("x")], "%!d(string=x)"),
            ("%s %s", vec![Value::str("x")], "x %!s(MISSING)"),
            (
                "%s",
                vec![Value::str("x"), Value::Int(1)],
                "x%!(EXTRA int=1)",
            ),
            (
                "%v %v",
                vec![Value::Float(1e6), Value::Float(0.5)],
                "1e+06 0.5",
            ),
            ("%e", vec![Value::Float(1234.5678)], "1.234568e+03"),
        ];
        for (format, args, want) in cases {
            assert_eq!(sprintf(format, args), *want, "{format}");
        }
    }

    #[test]
    fn sprint_spacing() {
        let args = [Value::Int(1), Value::Int(2), Value::str("a"), Value::Int(3)];
        assert_eq!(sprint(&args), "1 2a3");
        assert_eq!(sprintln(&args), "1 2 a 3\n");
    }
}
