// Entry point for `pulumi up` / `preview`: the whole program lives in components/program.ts.
import * as path from "node:path";
import { understudyProgram } from "./components/program";

// Compiled to dist/index.js; the project root is one level up.
const outputs = understudyProgram(path.resolve(__dirname, ".."));

export const platform = outputs.platform;
export const prometheusUrl = outputs.prometheusUrl;
export const services = outputs.services;
