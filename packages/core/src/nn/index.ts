// Network modules (NVlabs/edm networks.py): parameters, layers, SongUNet.
export * from './params.ts';
export * from './layers.ts';
export * from './unet.ts';
