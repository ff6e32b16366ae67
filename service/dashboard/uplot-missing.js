// Stands in for uPlot when it was not installed at build time (service/dashboard/dashboard.cmake):
// the group page then says its charts are unavailable.
window.WARREN_UPLOT_MISSING = 'charts unavailable: uPlot was not embedded at build time (run `npm ci` in service/dashboard, then rebuild)';
