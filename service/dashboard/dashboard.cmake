# Included by service/CMakeLists.txt: embeds the dashboard's files into warren_core.
# The page's own files live here; uPlot (a pinned npm package, package.json / package-lock.json) is
# installed into node_modules/ by `npm ci` (.ci/setup runs it) and embedded from there. No network
# at build time beyond that setup step, and none at run time.
#
# uPlot missing at configure time (no `npm ci` yet, e.g. the Docker image's build stage): the
# build still succeeds with a warning, `uplot.js` is then uplot-missing.js, and the group page says
# its charts are unavailable (the board and the tables work). -DWARREN_DASHBOARD_REQUIRE_UPLOT=ON
# makes it a configure error instead.
set(WARREN_UPLOT_DIR "${CMAKE_CURRENT_SOURCE_DIR}/dashboard/node_modules/uplot/dist" CACHE PATH
  "Folder holding uPlot.iife.min.js and uPlot.min.css (npm ci in service/dashboard)")
option(WARREN_DASHBOARD_REQUIRE_UPLOT "Fail the configure step when uPlot is not installed" OFF)

set(dash_dir ${CMAKE_CURRENT_SOURCE_DIR}/dashboard)
set(dash_assets
  "index.html=${dash_dir}/index.html"
  "app.js=${dash_dir}/app.js"
  "app.css=${dash_dir}/app.css"
  "favicon.svg=${dash_dir}/favicon.svg")
set(dash_have_uplot FALSE)
if(EXISTS ${WARREN_UPLOT_DIR}/uPlot.iife.min.js AND EXISTS ${WARREN_UPLOT_DIR}/uPlot.min.css)
  set(dash_have_uplot TRUE)
  list(APPEND dash_assets "uplot.js=${WARREN_UPLOT_DIR}/uPlot.iife.min.js"
    "uplot.css=${WARREN_UPLOT_DIR}/uPlot.min.css" "uplot-license.txt=${WARREN_UPLOT_DIR}/../LICENSE")
elseif(WARREN_DASHBOARD_REQUIRE_UPLOT)
  message(FATAL_ERROR "uPlot not found in ${WARREN_UPLOT_DIR}: run `npm ci` in service/dashboard "
    "(bash .ci/setup does) or point WARREN_UPLOT_DIR at a folder with uPlot.iife.min.js and uPlot.min.css")
else()
  message(WARNING "uPlot not found in ${WARREN_UPLOT_DIR} (run `npm ci` in service/dashboard, then re-run "
    "cmake): the dashboard is built without charts and says so on its group pages")
  list(APPEND dash_assets "uplot.js=${dash_dir}/uplot-missing.js" "uplot.css=${dash_dir}/uplot-missing.css")
endif()

set(dash_manifest ${CMAKE_CURRENT_BINARY_DIR}/dashboard_manifest.cmake)
set(dash_out ${CMAKE_CURRENT_BINARY_DIR}/dashboard_assets.cpp)
set(dash_files "")
foreach(a IN LISTS dash_assets)
  string(REGEX REPLACE "^[^=]*=" "" f "${a}")
  list(APPEND dash_files ${f})
endforeach()
file(CONFIGURE OUTPUT ${dash_manifest} CONTENT "set(ASSETS \"@dash_assets@\")\nset(HAVE_UPLOT @dash_have_uplot@)\n" @ONLY)
add_custom_command(OUTPUT ${dash_out}
  COMMAND ${CMAKE_COMMAND} -DMANIFEST=${dash_manifest} -DOUT=${dash_out} -P ${dash_dir}/embed.cmake
  DEPENDS ${dash_files} ${dash_dir}/embed.cmake ${dash_manifest}
  COMMENT "Embedding the dashboard's files"
  VERBATIM)
target_sources(warren_core PRIVATE ${dash_out})
