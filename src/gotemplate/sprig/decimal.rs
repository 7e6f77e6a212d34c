//! The exact decimal arithmetic sprig's float functions (`addf`, `subf`, `mulf`, `divf`,
//! `add1f`) do through shopspring/decimal: operands as their shortest decimal form, exact sums
//! and products, quotients rounded to 16 places, the result read back as a float.

#[derive(Clone, Copy)]
struct Dec {
    m: i128,
    e: i32,
}

fn from_f64(f: f64) -> Option<Dec> {
    if !f.is_finite() {
        return None;
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e')?;
    let exp: i32 = exp.parse().ok()?;
    let neg = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let m: i128 = digits.parse().ok()?;
    Some(Dec {
        m: if neg { -m } else { m },
        e: exp - (digits.len() as i32 - 1),
    })
}

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

fn align(a: Dec, b: Dec) -> Option<(i128, i128, i32)> {
    let e = a.e.min(b.e);
    let am = a.m.checked_mul(pow10((a.e - e) as u32)?)?;
    let bm = b.m.checked_mul(pow10((b.e - e) as u32)?)?;
    Some((am, bm, e))
}

fn to_f64(d: Dec) -> f64 {
    format!("{}e{}", d.m, d.e).parse().unwrap_or(f64::NAN)
}

#[derive(Clone, Copy)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// `a op b` as shopspring/decimal computes it; `None` when a divisor is zero.
pub fn apply(a: f64, b: f64, op: Op) -> Option<f64> {
    let exact = || -> Option<f64> {
        let (x, y) = (from_f64(a)?, from_f64(b)?);
        let d = match op {
            Op::Add => {
                let (am, bm, e) = align(x, y)?;
                Dec {
                    m: am.checked_add(bm)?,
                    e,
                }
            }
            Op::Sub => {
                let (am, bm, e) = align(x, y)?;
                Dec {
                    m: am.checked_sub(bm)?,
                    e,
                }
            }
            Op::Mul => Dec {
                m: x.m.checked_mul(y.m)?,
                e: x.e + y.e,
            },
            Op::Div => {
                // Quotient to 16 places, half away from zero.
                let shift = x.e - y.e + 16;
                let (num, den) = if shift >= 0 {
                    (x.m.checked_mul(pow10(shift as u32)?)?.checked_mul(10)?, y.m)
                } else {
                    (
                        x.m.checked_mul(10)?,
                        y.m.checked_mul(pow10((-shift) as u32)?)?,
                    )
                };
                let q = num / den;
                let rounded = if q % 10 >= 5 {
                    q / 10 + 1
                } else if q % 10 <= -5 {
                    q / 10 - 1
                } else {
                    q / 10
                };
                Dec { m: rounded, e: -16 }
            }
        };
        Some(to_f64(d))
    };
    if matches!(op, Op::Div) && b == 0.0 {
        return None;
    }
    Some(exact().unwrap_or(match op {
        Op::Add => a + b,
        Op::Sub => a - b,
        Op::Mul => a * b,
        Op::Div => a / b,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_like_shopspring() {
        assert_eq!(apply(1.1, 2.2, Op::Add), Some(3.3));
        assert_eq!(apply(0.1, 1234567.0, Op::Mul), Some(123456.7));
        assert_eq!(apply(-2.0, 0.0, Op::Mul), Some(0.0));
        assert_eq!(apply(1.0, 3.0, Op::Div), Some(0.3333333333333333));
        assert_eq!(apply(1.0, 0.0, Op::Div), None);
    }
}
