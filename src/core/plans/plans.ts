/**
 * How each agent is billed (the `unmetered.plans` setting) and what the subscriptions cost.
 *
 * Choice (documented in README, Plans): an agent on a subscription still counts in the meter's totals
 * at its API-equivalent price, labelled as such wherever it shows, because the figure is what the same
 * work costs per token and hiding it would hide the usage; its plan's flat price is what `unmetered plan`
 * compares it with.
 */
import type { Normalised } from '../normalise';

export type Vendor = 'anthropic' | 'openai' | 'github';

export interface Plan {
  id: string;
  label: string;
  vendor: Vendor;
  /** Monthly list price in US dollars (monthly billing, individual, before tax). */
  monthlyUSD: number;
  source: string;
}

/** The date the prices below were read from their sources; a person updates table and date together. */
export const PLAN_PRICES_AS_OF = '2026-12-01';

/**
 * Sources: Anthropic's pricing page (claude.com/pricing: Pro $20 a month billed monthly) and help centre
 * ("How much does the Max plan cost?": Max 5x $100, Max 20x $200 a month); OpenAI's ChatGPT pricing page
 * (chatgpt.com/pricing: Plus $20, Pro $200 a month); GitHub's Copilot plans (github.com/features/copilot/plans:
 * Pro $10, Pro+ $39 a month).
 */
export const PLANS: readonly Plan[] = [
  { id: 'claude-pro', label: 'Claude Pro', vendor: 'anthropic', monthlyUSD: 20, source: 'https://claude.com/pricing' },
  {
    id: 'claude-max-5x',
    label: 'Claude Max 5x',
    vendor: 'anthropic',
    monthlyUSD: 100,
    source: 'https://support.anthropic.com/en/articles/11049744-how-much-does-the-max-plan-cost',
  },
  {
    id: 'claude-max-20x',
    label: 'Claude Max 20x',
    vendor: 'anthropic',
    monthlyUSD: 200,
    source: 'https://support.anthropic.com/en/articles/11049744-how-much-does-the-max-plan-cost',
  },
  { id: 'chatgpt-plus', label: 'ChatGPT Plus', vendor: 'openai', monthlyUSD: 20, source: 'https://chatgpt.com/pricing' },
  { id: 'chatgpt-pro', label: 'ChatGPT Pro', vendor: 'openai', monthlyUSD: 200, source: 'https://chatgpt.com/pricing' },
  { id: 'copilot-pro', label: 'Copilot Pro', vendor: 'github', monthlyUSD: 10, source: 'https://github.com/features/copilot/plans' },
  { id: 'copilot-pro-plus', label: 'Copilot Pro+', vendor: 'github', monthlyUSD: 39, source: 'https://github.com/features/copilot/plans' },
];

const API_PLAN = 'api';
const PLAN_IDS: readonly string[] = [API_PLAN, ...PLANS.map((p) => p.id)];

export const planOf = (id: string | undefined): Plan | null => PLANS.find((p) => p.id === id) ?? null;

/** Agent → plan id, for agents on a subscription only (an agent on the API is simply absent). */
export type PlanSettings = Readonly<Record<string, string>>;

const AGENT = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** `unmetered.plans`: { "<agent>": "<plan id>" }. A bad entry is dropped (that agent is billed per token) with a warning. */
export function normalisePlans(v: unknown): Normalised<PlanSettings> {
  if (v === undefined || v === null) return { value: {}, warnings: [] };
  if (typeof v !== 'object' || Array.isArray(v))
    return {
      value: {},
      warnings: [
        `unmetered.plans: expected an object such as {"claude-code":` +
          ` "claude-max-5x"}, got ${JSON.stringify(v)?.slice(0, 60)}; every agent is taken as billed per token`,
      ],
    };
  const value: Record<string, string> = {};
  const warnings: string[] = [];
  for (const [agent, plan] of Object.entries(v as Record<string, unknown>)) {
    if (!AGENT.test(agent)) {
      warnings.push(`unmetered.plans: "${agent.slice(0, 40)}" is not an agent name (e.g. claude-code, codex); entry ignored`);
      continue;
    }
    if (typeof plan !== 'string' || !PLAN_IDS.includes(plan)) {
      warnings.push(
        `unmetered.plans.${agent}: expected one of ${PLAN_IDS.join(', ')}, got ${JSON.stringify(plan)?.slice(0, 40)}; ${agent} is taken as billed per token`,
      );
      continue;
    }
    if (plan !== API_PLAN) value[agent] = plan;
  }
  return { value, warnings };
}

/** "claude-code (Claude Max 5x, API-equivalent)" for an agent on a plan; the agent's name otherwise. */
export function agentLabel(agent: string, plans: PlanSettings): string {
  const p = planOf(plans[agent]);
  return p ? `${agent} (${p.label}, API-equivalent)` : agent;
}
