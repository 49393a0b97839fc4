//! The gemini wire format (being built).

use super::{CallOptions, Decoder, Framing, Request, Wire};
use crate::conversation::Conversation;
use zerostack::error::Error;

pub struct Gemini;

impl Wire for Gemini {
    fn build(&self, _conv: &Conversation, _opts: &CallOptions) -> Result<Request, Error> {
        Err(super::unbuilt("gemini"))
    }
    fn framing(&self) -> Framing {
        Framing::Sse
    }
    fn decoder(&self) -> Box<dyn Decoder> {
        Box::new(Unbuilt)
    }
}

struct Unbuilt;

impl Decoder for Unbuilt {
    fn event(
        &mut self,
        _ev: &crate::framing::SseEvent,
        _out: &mut crate::assemble::Assembler,
    ) -> Result<super::Flow, super::StreamError> {
        Err(super::StreamError("not built".into()))
    }
    fn end(&mut self, _out: &mut crate::assemble::Assembler) -> Result<(), super::StreamError> {
        Err(super::StreamError("not built".into()))
    }
}
