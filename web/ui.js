// The shared UI pieces, one module each under ui/ (README.md); this file only re-exports them, so that a view may
// import from '../ui.js' or from the one module it needs.
export * from './ui/dialogs.js';
export * from './ui/forms.js';
export * from './ui/page.js';
export * from './ui/paging.js';
export * from './ui/states.js';
export * from './ui/tables.js';
export * from './ui/toasts.js';
export * from './ui/validation.js';
