/** The linkgap version recorded in every run manifest. Keep in step with package.json. */
export const VERSION = '0.1.0';
