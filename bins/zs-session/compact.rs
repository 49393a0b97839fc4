//! `zs-session compact`: summarizes the older part of the conversation.

use crate::args::CompactArgs;
use crate::commands::Env;
use zerostack::error::Error;

pub fn run(_env: &Env, _a: CompactArgs) -> Result<(), Error> {
    Err(Error::failure("compact is not built yet"))
}
