//! The runtime images and basic job templates a first start seeds: one table, read by the
//! server's seed and by the plan snapshot tests, so the snapshots show what users get.

use crate::domain::arg_schema::ArgSchema;
use crate::domain::plan::TemplateSpec;

/// A seeded job template: its image, command and one text argument with a default.
#[derive(Debug, Clone, Copy)]
pub struct SeedTemplate {
    pub image: &'static str,
    pub name: &'static str,
    pub command: &'static str,
    pub arg: &'static str,
    pub default: &'static str,
    pub description: &'static str,
}

/// Seeded in this order (it is also their index in the palette).
pub const SEED_TEMPLATES: &[SeedTemplate] = &[
    SeedTemplate {
        image: "debian:bookworm-slim",
        name: "shell",
        command: "bash -c",
        arg: "script",
        default: "echo \"hello from {{run_id}}\"",
        description: "Runs a Bash script",
    },
    SeedTemplate {
        image: "python:3.11-slim",
        name: "python",
        command: "python3 -c",
        arg: "code",
        default: "print('hello from Cubist')",
        description: "Runs Python code",
    },
];

impl SeedTemplate {
    /// One group, "Task", holding the template's text argument.
    pub fn schema(&self) -> ArgSchema {
        serde_json::from_value(serde_json::json!([{"label": "Task", "args": [
            {"name": self.arg, "type": "text", "label": self.arg, "default": self.default, "description": self.description}
        ]}]))
        .unwrap_or_default()
    }

    /// The template as plans see it right after the first start.
    pub fn spec(&self) -> TemplateSpec {
        TemplateSpec {
            name: self.name.into(),
            image: self.image.into(),
            image_entrypoint: String::new(),
            workdir: String::new(),
            command: self.command.into(),
            env: String::new(),
            volume_mount: String::new(),
            privileged: false,
            service_account: String::new(),
            args: self.schema(),
            pull_secret: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_parses_with_its_default() {
        for template in SEED_TEMPLATES {
            let schema = template.schema();
            let json = serde_json::to_value(&schema).unwrap();
            assert_eq!(json[0]["args"][0]["name"], template.arg, "{json}");
            assert_eq!(json[0]["args"][0]["default"], template.default);
        }
    }
}
