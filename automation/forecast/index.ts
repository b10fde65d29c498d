// Public API of the forecasting engine: pure (no I/O), shared by the runner and the simulator.
export { QUANTILES, ForecastInputError } from "./types";
export type { Point, StepForecast, Forecaster, FitReport, ForecasterStatus, ForecastOptions, CalendarEvent, LstmOptions, ModelKind, MemberKind } from "./types";
export { createForecaster, restoreForecaster } from "./restore";
export { RobustZDetector } from "./anomaly";
export type { DetectorOptions, Verdict } from "./anomaly";
export { detectAnomalies } from "./detect";
export type { AnomalyScan } from "./detect";
export { parseSeriesCsv } from "./csv";
