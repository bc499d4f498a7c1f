/**
 * The two input/output shapes the plugin speaks: `hf` is what a real HostFactory sends and
 * expects (IBM's provider plug-in interface, as captured); `guide` is the simpler shape of the
 * project's integration guide. Input is detected by its keys and answered in kind.
 */
export type Dialect = 'hf' | 'guide';
