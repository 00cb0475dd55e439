# PyTorch peer of `gausslens bench --family train`: EDM's SongUNet (Karras et al. 2022; the architecture of NVlabs/edm
# training/networks.py, written out here at the configuration gausslens trains) inside EDMPrecond, one optimizer step =
# EDM loss (eq. 2, Table 1) + backward + Adam + EMA of the weights, timed on the CPU.
# Usage: python3 torch_unet.py '<json list of jobs>' '<thread counts, e.g. 2,1>' → one JSON line {"version", "results"}:
# each job timed with torch.set_num_threads(t) for every t, the fastest reported (all runs listed).
import json, math, sys, time
import torch
import torch.nn.functional as F


def xavier(shape, fan_in, fan_out, gain=1.0):
    # EDM weight_init('xavier_uniform') · init_weight
    return (torch.rand(*shape) * 2 - 1) * (gain * math.sqrt(6 / (fan_in + fan_out)))


class Linear(torch.nn.Module):
    def __init__(self, cin, cout, bias=True, gain=1.0):
        super().__init__()
        self.weight = torch.nn.Parameter(xavier([cout, cin], cin, cout, gain))
        self.bias = torch.nn.Parameter(torch.zeros(cout)) if bias else None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class Conv2d(torch.nn.Module):
    """k×k convolution with optional 2× up/down resampling by a separable FIR filter (fused: convolve, then filter)."""

    def __init__(self, cin, cout, kernel, up=False, down=False, filt=(1, 1), fused=False, gain=1.0):
        super().__init__()
        self.cin, self.cout, self.up, self.down, self.fused = cin, cout, up, down, fused
        self.weight = torch.nn.Parameter(xavier([cout, cin, kernel, kernel], cin * kernel * kernel, cout * kernel * kernel, gain)) if kernel else None
        self.bias = torch.nn.Parameter(torch.zeros(cout)) if kernel else None
        f = torch.tensor(filt, dtype=torch.float32)
        self.register_buffer('filt', (torch.outer(f, f) / f.sum() ** 2)[None, None] if up or down else None)

    def forward(self, x):
        w, f = self.weight, self.filt
        w_pad = w.shape[-1] // 2 if w is not None else 0
        f_pad = (f.shape[-1] - 1) // 2 if f is not None else 0
        if self.fused and self.down and w is not None:
            x = F.conv2d(x, w, padding=w_pad + f_pad)
            x = F.conv2d(x, f.tile([self.cout, 1, 1, 1]), groups=self.cout, stride=2)
        else:
            if self.up:
                x = F.conv_transpose2d(x, (4 * f).tile([self.cin, 1, 1, 1]), groups=self.cin, stride=2, padding=f_pad)
            if self.down:
                x = F.conv2d(x, f.tile([self.cin, 1, 1, 1]), groups=self.cin, stride=2, padding=f_pad)
            if w is not None:
                x = F.conv2d(x, w, padding=w_pad)
        return x + self.bias.reshape(1, -1, 1, 1) if self.bias is not None else x


class GroupNorm(torch.nn.Module):
    def __init__(self, channels, eps):
        super().__init__()
        self.groups, self.eps = min(32, channels // 4), eps
        self.weight = torch.nn.Parameter(torch.ones(channels))
        self.bias = torch.nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        return F.group_norm(x, self.groups, self.weight, self.bias, self.eps)


class Block(torch.nn.Module):
    """Residual block: noise-embedding bias, dropout, optional one-head self-attention; skip scale √½."""

    def __init__(self, cin, cout, emb, dropout, filt, up=False, down=False, attention=False):
        super().__init__()
        self.cin, self.cout, self.dropout = cin, cout, dropout
        self.norm0 = GroupNorm(cin, 1e-6)
        self.conv0 = Conv2d(cin, cout, 3, up=up, down=down, filt=filt)
        self.affine = Linear(emb, cout)
        self.norm1 = GroupNorm(cout, 1e-6)
        self.conv1 = Conv2d(cout, cout, 3, gain=1e-5)
        self.skip = Conv2d(cin, cout, 1, up=up, down=down, filt=filt) if cout != cin or up or down else None
        self.attention = attention
        if attention:
            self.norm2 = GroupNorm(cout, 1e-6)
            self.qkv = Conv2d(cout, 3 * cout, 1, gain=math.sqrt(0.2))
            self.proj = Conv2d(cout, cout, 1, gain=1e-5)

    def forward(self, x, emb):
        s = math.sqrt(0.5)
        h = self.conv0(F.silu(self.norm0(x)))
        h = F.silu(self.norm1(h + self.affine(emb)[:, :, None, None]))
        h = self.conv1(F.dropout(h, p=self.dropout, training=self.training))
        x = (h + (self.skip(x) if self.skip is not None else x)) * s
        if self.attention:
            n, c, hh, ww = x.shape
            q, k, v = self.qkv(self.norm2(x)).reshape(n, c, 3, hh * ww).unbind(2)
            a = torch.softmax(torch.einsum('ncq,nck->nqk', q, k / math.sqrt(c)), dim=2)
            x = (self.proj(torch.einsum('nqk,nck->ncq', a, v).reshape(n, c, hh, ww)) + x) * s
        return x


class SongUNet(torch.nn.Module):
    """NCSN++ (Fourier noise embedding, residual input path, [1, 3, 3, 1] resampling) or DDPM++, as EDM builds them."""

    def __init__(self, c):
        super().__init__()
        mc, res0 = c['modelChannels'], c['resolution']
        emb, noise = mc * c['channelMultEmb'], mc * c['channelMultNoise']
        filt, drop = c['resampleFilter'], c['dropout']
        self.fourier = c['embedding'] == 'fourier'
        self.register_buffer('freqs', torch.randn(noise // 2) * 16)
        self.map_augment = Linear(c['augmentDim'], noise, bias=False) if c['augmentDim'] else None
        self.map_layer0 = Linear(noise, emb)
        self.map_layer1 = Linear(emb, emb)
        blk = dict(emb=emb, dropout=drop, filt=filt)
        self.enc = torch.nn.ModuleDict()
        cout = caux = c['inChannels']
        skips = []
        for level, mult in enumerate(c['channelMult']):
            r = res0 >> level
            if level == 0:
                self.enc[f'{r}x{r}_conv'] = Conv2d(cout, mc, 3)
                cout = mc
            else:
                self.enc[f'{r}x{r}_down'] = Block(cout, cout, down=True, **blk)
                if c['encoder'] == 'residual':
                    self.enc[f'{r}x{r}_aux_residual'] = Conv2d(caux, cout, 3, down=True, filt=filt, fused=True)
                    caux = cout
            skips.append(cout)
            for i in range(c['numBlocks']):
                cin, cout = cout, mc * mult
                self.enc[f'{r}x{r}_block{i}'] = Block(cin, cout, attention=r in c['attnResolutions'], **blk)
                skips.append(cout)
        self.dec = torch.nn.ModuleDict()
        for level in reversed(range(len(c['channelMult']))):
            mult, r = c['channelMult'][level], res0 >> level
            if level == len(c['channelMult']) - 1:
                self.dec[f'{r}x{r}_in0'] = Block(cout, cout, attention=True, **blk)
                self.dec[f'{r}x{r}_in1'] = Block(cout, cout, **blk)
            else:
                self.dec[f'{r}x{r}_up'] = Block(cout, cout, up=True, **blk)
            for i in range(c['numBlocks'] + 1):
                cin, cout = cout + skips.pop(), mc * mult
                self.dec[f'{r}x{r}_block{i}'] = Block(cin, cout, attention=i == c['numBlocks'] and r in c['attnResolutions'], **blk)
        self.out_norm = GroupNorm(cout, 1e-6)
        self.out_conv = Conv2d(cout, c['outChannels'], 3, gain=1e-5)

    def embed(self, c_noise):
        n = self.freqs.numel() * 2
        if self.fourier:
            arg = torch.outer(c_noise, 2 * math.pi * self.freqs)
        else:
            f = torch.arange(n // 2, dtype=torch.float32) / (n // 2 - 1)
            arg = torch.outer(c_noise, (1 / 10000) ** f)
        return torch.cat([arg.sin(), arg.cos()], dim=1)  # [cos, sin] with halves swapped

    def forward(self, x, c_noise):
        emb = F.silu(self.map_layer1(F.silu(self.map_layer0(self.embed(c_noise)))))
        skips, aux = [], x
        for name, m in self.enc.items():
            if 'aux_residual' in name:
                x = skips[-1] = aux = (x + m(aux)) * math.sqrt(0.5)
            else:
                x = m(x, emb) if isinstance(m, Block) else m(x)
                skips.append(x)
        for m in self.dec.values():
            if x.shape[1] != m.cin:
                x = torch.cat([x, skips.pop()], dim=1)
            x = m(x, emb)
        return self.out_conv(F.silu(self.out_norm(x)))


def edm_step(net, ema, opt, y, job, step):
    """EDM loss + backward + Adam (learning-rate ramp-up, NaN-sanitised gradients) + EMA, as gausslens' train step."""
    sd, n = job['sigmaData'], y.shape[0]
    sigma = torch.exp(torch.randn(n) * job['pStd'] + job['pMean'])
    s4 = sigma[:, None, None, None]
    x = y + torch.randn_like(y) * s4
    c_skip, c_out = sd ** 2 / (s4 ** 2 + sd ** 2), s4 * sd / (s4 ** 2 + sd ** 2).sqrt()
    c_in, c_noise = 1 / (sd ** 2 + s4 ** 2).sqrt(), sigma.log() / 4
    D = c_skip * x + c_out * net(c_in * x, c_noise)
    weight = (s4 ** 2 + sd ** 2) / (s4 * sd) ** 2
    loss = (weight * (D - y) ** 2).sum() / n
    opt.zero_grad(set_to_none=False)
    loss.backward()
    nimg = step * n
    for g in opt.param_groups:
        g['lr'] = job['lr'] * min(nimg / max(job['lrRampupKimg'] * 1000, 1e-8), 1)
    for p in net.parameters():
        if p.grad is not None:
            torch.nan_to_num(p.grad, nan=0, posinf=1e5, neginf=-1e5, out=p.grad)
    opt.step()
    half = job['emaHalflifeKimg'] * 1000
    if job['emaRampupRatio'] > 0:
        half = min(half, nimg * job['emaRampupRatio'])
    beta = 0.5 ** (n / max(half, 1e-8))
    with torch.no_grad():
        for pe, p in zip(ema.parameters(), net.parameters()):
            pe.copy_(p.detach().lerp(pe, beta))
    return loss.item()


def run(job, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = SongUNet(job['unet']).train()
    ema = SongUNet(job['unet']).eval().requires_grad_(False)
    ema.load_state_dict(net.state_dict())
    opt = torch.optim.Adam(net.parameters(), lr=job['lr'], betas=tuple(job['adamBetas']), eps=job['adamEps'])
    u = job['unet']
    y = torch.rand(job['batch'], u['inChannels'], u['resolution'], u['resolution']) * 2 - 1
    for i in range(job['warmupSteps']):
        edm_step(net, ema, opt, y, job, i)
    t0 = time.perf_counter()
    for i in range(job['steps']):
        edm_step(net, ema, opt, y, job, job['warmupSteps'] + i)
    sec = time.perf_counter() - t0
    params = sum(p.numel() for p in net.parameters() if p.requires_grad)
    return {'threads': threads, 'parameters': params, 'steps': job['steps'], 'msPerStep': 1000 * sec / job['steps'], 'imagesPerSec': job['batch'] * job['steps'] / sec}


def best_of(job, thread_counts):
    # Every thread count in turn; the fastest is the peer's result (torch at its best on this machine).
    runs = [run(job, t) for t in thread_counts]
    best = max(runs, key=lambda r: r['imagesPerSec'])
    return {'what': job['what'], **best, 'runs': runs}


if __name__ == '__main__':
    jobs = json.loads(sys.argv[1])
    thread_counts = [int(t) for t in (sys.argv[2] if len(sys.argv) > 2 else '2').split(',')]
    print(json.dumps({'version': torch.__version__, 'results': [best_of(j, thread_counts) for j in jobs]}))
