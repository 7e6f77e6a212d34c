//! sprig's arithmetic (`add sub mul div mod max min add1 floor ceil round …`): integer results
//! are Go `int64`, float results `float64`, arguments converted by spf13/cast.

use super::conv::{to_float64, to_int64};
use super::decimal::{self, Op};
use crate::gotemplate::funcs::{FuncMap, Ty, sig, variadic};
use crate::gotemplate::value::Value;

use Ty::{Any, Float, Int, Str};

pub fn register(m: &mut FuncMap) {
    m.insert("add1", sig(&[Any]), |_, a| {
        Ok(Value::Int64(to_int64(&a[0]).wrapping_add(1)))
    });
    m.insert("add", variadic(&[], Any), |_, a| {
        Ok(Value::Int64(
            a.iter().fold(0i64, |s, v| s.wrapping_add(to_int64(v))),
        ))
    });
    m.insert("sub", sig(&[Any, Any]), |_, a| {
        Ok(Value::Int64(to_int64(&a[0]).wrapping_sub(to_int64(&a[1]))))
    });
    m.insert("div", sig(&[Any, Any]), |_, a| {
        let b = to_int64(&a[1]);
        if b == 0 {
            return Err("runtime error: integer divide by zero".to_owned());
        }
        Ok(Value::Int64(to_int64(&a[0]).wrapping_div(b)))
    });
    m.insert("mod", sig(&[Any, Any]), |_, a| {
        let b = to_int64(&a[1]);
        if b == 0 {
            return Err("runtime error: integer divide by zero".to_owned());
        }
        Ok(Value::Int64(to_int64(&a[0]).wrapping_rem(b)))
    });
    m.insert("mul", variadic(&[Any], Any), |_, a| {
        Ok(Value::Int64(
            a[1..]
                .iter()
                .fold(to_int64(&a[0]), |s, v| s.wrapping_mul(to_int64(v))),
        ))
    });
    for name in ["max", "biggest"] {
        m.insert(name, variadic(&[Any], Any), |_, a| {
            Ok(Value::Int64(
                a.iter().map(to_int64).fold(to_int64(&a[0]), i64::max),
            ))
        });
    }
    m.insert("min", variadic(&[Any], Any), |_, a| {
        Ok(Value::Int64(
            a.iter().map(to_int64).fold(to_int64(&a[0]), i64::min),
        ))
    });
    m.insert("maxf", variadic(&[Any], Any), |_, a| {
        Ok(Value::Float(
            a[1..]
                .iter()
                .map(to_float64)
                .fold(to_float64(&a[0]), go_max),
        ))
    });
    m.insert("minf", variadic(&[Any], Any), |_, a| {
        Ok(Value::Float(
            a[1..]
                .iter()
                .map(to_float64)
                .fold(to_float64(&a[0]), go_min),
        ))
    });
    m.insert("add1f", sig(&[Any]), |_, a| {
        fold(to_float64(&a[0]), &[Value::Int(1)], Op::Add)
    });
    m.insert("addf", variadic(&[], Any), |_, a| fold(0.0, a, Op::Add));
    m.insert("subf", variadic(&[Any], Any), |_, a| {
        fold(to_float64(&a[0]), &a[1..], Op::Sub)
    });
    m.insert("mulf", variadic(&[Any], Any), |_, a| {
        fold(to_float64(&a[0]), &a[1..], Op::Mul)
    });
    m.insert("divf", variadic(&[Any], Any), |_, a| {
        fold(to_float64(&a[0]), &a[1..], Op::Div)
    });
    m.insert("floor", sig(&[Any]), |_, a| {
        Ok(Value::Float(to_float64(&a[0]).floor()))
    });
    m.insert("ceil", sig(&[Any]), |_, a| {
        Ok(Value::Float(to_float64(&a[0]).ceil()))
    });
    m.insert("round", variadic(&[Any, Int], Float), |_, a| {
        let round_on = a.get(2).map_or(0.5, to_float64);
        let val = to_float64(&a[0]);
        let pow = 10f64.powf(to_int64(&a[1]) as f64);
        let digit = pow * val;
        let frac = digit.fract();
        let r = if frac >= round_on {
            digit.ceil()
        } else {
            digit.floor()
        };
        Ok(Value::Float(r / pow))
    });
    m.insert("int64", sig(&[Any]), |_, a| {
        Ok(Value::Int64(to_int64(&a[0])))
    });
    m.insert("int", sig(&[Any]), |_, a| Ok(Value::Int(to_int64(&a[0]))));
    m.insert("float64", sig(&[Any]), |_, a| {
        Ok(Value::Float(to_float64(&a[0])))
    });
    m.insert("atoi", sig(&[Str]), |_, a| {
        Ok(Value::Int(
            a[0].as_str()
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(0),
        ))
    });
    m.insert("toDecimal", sig(&[Any]), |_, a| {
        let text = crate::gotemplate::printf::display(&a[0]);
        Ok(Value::Int64(
            i64::from_str_radix(text.trim_start_matches('+'), 8).unwrap_or(0),
        ))
    });
}

/// sprig's `execDecimalOp`: the operands folded with exact decimal arithmetic.
fn fold(first: f64, rest: &[Value], op: Op) -> Result<Value, String> {
    let mut acc = first;
    for v in rest {
        acc = decimal::apply(acc, to_float64(v), op)
            .ok_or_else(|| "decimal division by 0".to_owned())?;
    }
    // Through the decimal every result is exact: no negative zero either.
    Ok(Value::Float(if acc == 0.0 { 0.0 } else { acc }))
}

fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}
