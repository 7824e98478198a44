//! Parser stub for syslinux (to be written).

use super::ParseContext;
use crate::error::Result;
use crate::menu::Menu;

/// Parses a syslinux configuration into a menu.
pub fn parse(text: &str, ctx: &mut ParseContext<'_>) -> Result<Menu> {
    let _ = (text, ctx);
    Ok(Menu::default())
}
