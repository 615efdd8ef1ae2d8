// The simulator's Web Worker: loads the simulator module (built from src/bin/simulator.rs by
// scripts/build-web.sh), whose start function answers the player's requests. The page
// creates this worker only when it needs the simulator: the lab, a share link, an embedding
// page's load-scenario. A module that cannot load is reported, not left hanging.
importScripts('./simulator.js');
wasm_bindgen({ module_or_path: './simulator_bg.wasm' }).catch((error) => {
  postMessage(JSON.stringify({ crashed: 'its module could not be loaded: ' + error }));
});
