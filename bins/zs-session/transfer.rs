//! `zs-session export` and `import`.

use crate::args::{ExportArgs, ImportArgs};
use crate::commands::Env;
use zerostack::error::Error;

pub fn export(_env: &Env, _a: ExportArgs) -> Result<(), Error> {
    Err(Error::failure("export is not built yet"))
}

pub fn import(_env: &Env, _a: ImportArgs) -> Result<(), Error> {
    Err(Error::failure("import is not built yet"))
}
