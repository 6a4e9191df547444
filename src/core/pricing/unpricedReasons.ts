/**
 * Models that agents' logs name but that no public price list prices, with the reason, shown next to
 * them wherever unpriced models are listed (an unpriced model is never $0, and never unexplained).
 */
const REASONS: Readonly<Record<string, string>> = {
  // openai/codex codex-rs/model-provider: DEFAULT_APPROVAL_REVIEW_PREFERRED_MODEL, used under ChatGPT
  // sign-in (with an API key the reviewer runs on a public, priced model). A hidden catalog entry.
  'codex-auto-review': "Codex's approval auto-reviewer under ChatGPT sign-in; OpenAI publishes no per-token price for it",
};

function unpricedReason(model: string): string | null {
  return REASONS[model.trim().toLowerCase()] ?? null;
}

/** `model (n)` or `model (n: reason)`; `esc` escapes the names and the reason for Markdown. */
export function unpricedLabel(model: string, interactions: number, esc: (s: string) => string = (s) => s): string {
  const reason = unpricedReason(model);
  return reason ? `${esc(model)} (${interactions}: ${esc(reason)})` : `${esc(model)} (${interactions})`;
}
