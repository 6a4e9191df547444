/** Every agent Unmetered reads. Adding one = one adapter file + one line here + one fixture. */
import { claudeCode } from './claudeCode';
import { cline } from './cline';
import { codex } from './codex';
import { copilotCli } from './copilotCli';
import { geminiCli } from './geminiCli';
import { kiloCode } from './kiloCode';
import { kiloCli, opencode } from './opencode';
import { qwenCode } from './qwenCode';
import { amp } from './amp';
import { continueDev } from './continueDev';
import { factoryDroid } from './factoryDroid';
import { pi } from './pi';
import { rooCode } from './rooCode';
import type { SourceAdapter } from './types';

export const ADAPTERS: readonly SourceAdapter[] = [
  claudeCode,
  codex,
  geminiCli,
  cline,
  rooCode,
  kiloCode,
  qwenCode,
  amp,
  continueDev,
  factoryDroid,
  pi,
  opencode,
  kiloCli,
  copilotCli,
];
