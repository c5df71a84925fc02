"""The mirrord config, pure: model, target grammar, validation, checks, precedence.

Entry points: `validate.validate_config`, `target_path.parse_target_path`,
`precedence.resolve_selection`, `schema_info.field_at`/`fields_under`,
`resolved.resolved_config_json`. Nothing here does I/O.
"""
