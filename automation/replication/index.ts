// Store promotion's shared parts; each platform's Promoter (components/platforms/<name>/runtime)
// drives them with its own stores.
export { PromotionRefused, promote } from "./promote";
export type { PromotionReport } from "./promote";
export { repointConfig } from "./repoint";
