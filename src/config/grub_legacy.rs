//! Parser stub for grub_legacy (to be written).

use super::ParseContext;
use crate::error::Result;
use crate::menu::Menu;

/// Parses a grub_legacy configuration into a menu.
pub fn parse(text: &str, ctx: &mut ParseContext<'_>) -> Result<Menu> {
    let _ = (text, ctx);
    Ok(Menu::default())
}
