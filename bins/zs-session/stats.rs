//! `zs-session stats`: counts, tokens, cost and context use.

use crate::args::StatsArgs;
use crate::commands::Env;
use zerostack::error::Error;

pub fn run(_env: &Env, _a: StatsArgs) -> Result<(), Error> {
    Err(Error::failure("stats is not built yet"))
}
