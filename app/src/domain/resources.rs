//! Resource strings of tasks and notebooks: CPU (`2`, `0.5`, `1~4`), memory (`4G`, `512M`,
//! `2G~8G`) and GPU (`1`, `2(V100)`, `1(npu,910B)`, `0.5`, `-1`, `8G,0.5`). A range is
//! `request~limit`. Printing gives the canonical string, which parses back to the same value.

use std::fmt;

use serde::{Deserialize, Serialize};

/// CPU in millicores, as a request and a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cpu {
    pub request_milli: u32,
    pub limit_milli: u32,
}

/// Memory in MB (10^6 bytes, as Kubernetes reads `M`), as a request and a limit. Whole
/// thousands print as `G`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    pub request_mb: u64,
    pub limit_mb: u64,
}

/// Accelerators requested.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Gpu {
    /// No accelerator.
    None,
    /// Whole cards (`count` ≥ 1) or a fraction of one card (`0 < count < 1`, in thousandths).
    Cards { count_milli: u32, vendor: Option<String>, card_type: Option<String> },
    /// Runs on GPU nodes without an exclusive card (`-1`).
    Shared,
    /// Virtual GPU: memory and core ratio (`8G,0.5`).
    Virtual { memory: String, ratio_milli: u32 },
}

/// Vendors recognised inside the parentheses (other words name a card model).
pub const GPU_VENDORS: &[&str] = &["gpu", "npu", "mlu", "dcu"];

/// Largest single value accepted, to keep numbers sane.
const MAX_CPU_MILLI: u32 = 1_024_000;
const MAX_MEMORY_MB: u64 = 64_000_000;

fn parse_milli(text: &str) -> Option<u32> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 3 {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) || whole.len() > 7 {
        return None;
    }
    let whole: u32 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let frac_milli: u32 = if frac.is_empty() { 0 } else { format!("{frac:0<3}").parse().ok()? };
    whole.checked_mul(1000)?.checked_add(frac_milli)
}

fn format_milli(milli: u32) -> String {
    let (whole, frac) = (milli / 1000, milli % 1000);
    if frac == 0 { whole.to_string() } else { format!("{whole}.{}", format!("{frac:03}").trim_end_matches('0')) }
}

fn split_range(text: &str) -> (&str, Option<&str>) {
    match text.split_once('~') {
        Some((a, b)) => (a.trim(), Some(b.trim())),
        None => (text.trim(), None),
    }
}

/// Parses a CPU string.
pub fn parse_cpu(text: &str) -> Result<Cpu, String> {
    let (a, b) = split_range(text);
    let one = |s: &str| {
        parse_milli(s)
            .filter(|m| *m <= MAX_CPU_MILLI)
            .ok_or_else(|| format!("'{s}' is not a number of cores like 2 or 0.5"))
    };
    let request = one(a)?;
    let limit = b.map(one).transpose()?.unwrap_or(request);
    if limit == 0 {
        return Err("must be more than 0 cores".into());
    }
    if request > limit {
        return Err(format!("the request {} is above the limit {}", format_milli(request), format_milli(limit)));
    }
    Ok(Cpu { request_milli: request, limit_milli: limit })
}

impl fmt::Display for Cpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.request_milli == self.limit_milli {
            f.write_str(&format_milli(self.request_milli))
        } else {
            write!(f, "{}~{}", format_milli(self.request_milli), format_milli(self.limit_milli))
        }
    }
}

fn parse_mb(text: &str) -> Result<u64, String> {
    let upper = text.trim().to_ascii_uppercase();
    let upper = upper.strip_suffix('I').unwrap_or(&upper);
    let (digits, unit) = upper.split_at(upper.find(|c: char| !c.is_ascii_digit()).unwrap_or(upper.len()));
    let n: u64 = digits.parse().map_err(|_| format!("'{text}' is not a size like 4G or 512M"))?;
    let mb = match unit {
        "G" | "" => n.checked_mul(1000),
        "M" => Some(n),
        _ => None,
    };
    mb.filter(|m| *m > 0 && *m <= MAX_MEMORY_MB).ok_or_else(|| format!("'{text}' is not a size like 4G or 512M"))
}

fn format_mb(mb: u64) -> String {
    if mb.is_multiple_of(1000) { format!("{}G", mb / 1000) } else { format!("{mb}M") }
}

/// Parses a memory string; `-` and `_` also separate a range; a bare number means GB.
pub fn parse_memory(text: &str) -> Result<Memory, String> {
    let normalised = text.replace(['-', '_'], "~");
    let (a, b) = split_range(&normalised);
    let request = parse_mb(a)?;
    let limit = b.map(parse_mb).transpose()?.unwrap_or(request);
    if request > limit {
        return Err(format!("the request {} is above the limit {}", format_mb(request), format_mb(limit)));
    }
    Ok(Memory { request_mb: request, limit_mb: limit })
}

impl fmt::Display for Memory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.request_mb == self.limit_mb {
            f.write_str(&format_mb(self.request_mb))
        } else {
            write!(f, "{}~{}", format_mb(self.request_mb), format_mb(self.limit_mb))
        }
    }
}

/// Parses a GPU string.
pub fn parse_gpu(text: &str) -> Result<Gpu, String> {
    let text = text.trim().replace('（', "(").replace('）', ")");
    if text.is_empty() || text == "0" {
        return Ok(Gpu::None);
    }
    if text == "-1" {
        return Ok(Gpu::Shared);
    }
    if let Some((memory, ratio)) = text.split_once(',').filter(|_| !text.contains('(')) {
        let mb = parse_mb(memory)?;
        let ratio_milli = parse_milli(ratio.trim())
            .filter(|r| *r > 0 && *r <= 1000)
            .ok_or("the core ratio must be between 0 and 1")?;
        return Ok(Gpu::Virtual { memory: format_mb(mb), ratio_milli });
    }
    let (count, detail) = match text.split_once('(') {
        Some((count, rest)) => {
            let inner = rest.strip_suffix(')').ok_or("a '(' is not closed")?;
            (count.trim(), Some(inner))
        }
        None => (text.as_str(), None),
    };
    let count_milli = parse_milli(count).ok_or_else(|| format!("'{count}' is not a number of cards like 1 or 0.5"))?;
    if count_milli == 0 {
        return Err("0 cards cannot name a card type".into());
    }
    if count_milli >= 1000 && count_milli % 1000 != 0 {
        return Err("whole cards only above 1 (use 0.5 for half a card)".into());
    }
    let word = |w: &str| {
        let w = w.trim();
        if !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            Ok(w.to_owned())
        } else {
            Err(format!("'{w}' is not a card type or vendor"))
        }
    };
    let (vendor, card_type) = match detail.map(|d| d.split(',').collect::<Vec<_>>()).as_deref() {
        None => (None, None),
        Some([one]) if GPU_VENDORS.contains(&one.trim()) => (Some(word(one)?), None),
        Some([one]) => (None, Some(word(one)?.to_ascii_uppercase())),
        Some([vendor, model]) => (Some(word(vendor)?.to_ascii_lowercase()), Some(word(model)?.to_ascii_uppercase())),
        Some(_) => return Err("write N(TYPE), N(vendor) or N(vendor,TYPE)".into()),
    };
    Ok(Gpu::Cards { count_milli, vendor, card_type })
}

impl Gpu {
    /// Whole cards requested (0 for none, shared, fractional and virtual GPUs).
    pub fn whole_cards(&self) -> u32 {
        match self {
            Self::Cards { count_milli, .. } if *count_milli >= 1000 => count_milli / 1000,
            _ => 0,
        }
    }

    /// Whether the workload belongs on GPU nodes.
    pub fn needs_gpu_node(&self) -> bool {
        !matches!(self, Self::None)
    }

    /// Whether it is a fraction of a card or a virtual GPU (scheduled on `vgpu=true` nodes).
    pub fn is_virtual(&self) -> bool {
        matches!(self, Self::Virtual { .. }) || matches!(self, Self::Cards { count_milli, .. } if *count_milli < 1000)
    }
}

impl fmt::Display for Gpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("0"),
            Self::Shared => f.write_str("-1"),
            Self::Virtual { memory, ratio_milli } => write!(f, "{memory},{}", format_milli(*ratio_milli)),
            Self::Cards { count_milli, vendor, card_type } => {
                f.write_str(&format_milli(*count_milli))?;
                match (vendor, card_type) {
                    (None, None) => Ok(()),
                    (Some(v), None) => write!(f, "({v})"),
                    (None, Some(t)) => write!(f, "({t})"),
                    (Some(v), Some(t)) => write!(f, "({v},{t})"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cpu() {
        assert_eq!(parse_cpu("2").unwrap(), Cpu { request_milli: 2000, limit_milli: 2000 });
        assert_eq!(parse_cpu("0.5").unwrap().to_string(), "0.5");
        assert_eq!(parse_cpu("1~4").unwrap(), Cpu { request_milli: 1000, limit_milli: 4000 });
        assert_eq!(parse_cpu(" 1.0 ~ 4.0 ").unwrap().to_string(), "1~4");
        for bad in ["", "0", "-1", "abc", "4~1", "1.2345", "1e3", "~2"] {
            assert!(parse_cpu(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn memory() {
        assert_eq!(parse_memory("4G").unwrap(), Memory { request_mb: 4000, limit_mb: 4000 });
        assert_eq!(parse_memory("512M").unwrap().to_string(), "512M");
        assert_eq!(parse_memory("2G~8G").unwrap(), Memory { request_mb: 2000, limit_mb: 8000 });
        assert_eq!(parse_memory("2g-8g").unwrap().to_string(), "2G~8G");
        assert_eq!(parse_memory("4").unwrap().to_string(), "4G");
        assert_eq!(parse_memory("4Gi").unwrap().to_string(), "4G");
        for bad in ["", "0G", "4T", "G", "8G~2G", "1.5G"] {
            assert!(parse_memory(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn gpu() {
        assert_eq!(parse_gpu("0").unwrap(), Gpu::None);
        assert_eq!(parse_gpu("-1").unwrap(), Gpu::Shared);
        assert_eq!(parse_gpu("1").unwrap().whole_cards(), 1);
        let v100 = parse_gpu("2(v100)").unwrap();
        assert_eq!(v100, Gpu::Cards { count_milli: 2000, vendor: None, card_type: Some("V100".into()) });
        assert_eq!(v100.to_string(), "2(V100)");
        assert_eq!(parse_gpu("2（V100）").unwrap(), v100);
        assert_eq!(parse_gpu("1(npu)").unwrap().to_string(), "1(npu)");
        assert_eq!(parse_gpu("1(npu,910b)").unwrap().to_string(), "1(npu,910B)");
        let half = parse_gpu("0.5").unwrap();
        assert!(half.is_virtual() && half.needs_gpu_node() && half.whole_cards() == 0);
        assert_eq!(parse_gpu("8G,0.5").unwrap(), Gpu::Virtual { memory: "8G".into(), ratio_milli: 500 });
        for bad in ["1.5", "abc", "1(", "1(a,b,c)", "0(V100)", "8G,2", "1(v 100)"] {
            assert!(parse_gpu(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn never_panic(s in "\\PC{0,40}") {
            let _ = (parse_cpu(&s), parse_memory(&s), parse_gpu(&s));
        }

        #[test]
        fn canonical_strings_round_trip(a in 1u32..200_000, b in 0u32..200_000, mb in 1u64..100_000, cards in 1u32..16) {
            let cpu = Cpu { request_milli: a, limit_milli: a + b };
            prop_assert_eq!(parse_cpu(&cpu.to_string()).unwrap(), cpu);
            let mem = Memory { request_mb: mb, limit_mb: mb * 2 };
            prop_assert_eq!(parse_memory(&mem.to_string()).unwrap(), mem);
            let gpu = Gpu::Cards { count_milli: cards * 1000, vendor: Some("npu".into()), card_type: Some("T4".into()) };
            prop_assert_eq!(parse_gpu(&gpu.to_string()).unwrap(), gpu);
        }
    }
}
