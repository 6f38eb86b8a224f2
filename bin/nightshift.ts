#!/usr/bin/env node
import { main } from '#shared/cli/main.ts';

await main(process.argv);
